import type { Consumer, IHeaders, Kafka, Message, Producer } from "kafkajs";
import {
  kafkaUnreachable,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { acceptAuditMessage } from "../core/accept.js";
import type { IngestConfig } from "../config.js";
import type { createIngestMetrics } from "../metrics.js";

/**
 * agent.audit.v1 → agent.events.v1 (key = agent id) or agent.audit.dlq (original bytes,
 * reason in headers). A batch's offsets are committed only after the broker acknowledged
 * every produced message (acks = all), so a crash re-delivers rather than loses.
 */
export async function startKafkaPipeline(options: {
  readonly kafka: Kafka;
  readonly config: IngestConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: ReturnType<typeof createIngestMetrics>;
}): Promise<{ consumer: Consumer; producer: Producer; stop(): Promise<void> }> {
  const { kafka, config, names, metrics } = options;
  const log = options.logger.child({ component: "kafka-pipeline" });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: names.groups.ingest });
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.audit,
      fromBeginning: true,
    });
  } catch (error) {
    throw kafkaUnreachable(config.kafka, error);
  }
  await consumer.run({
    autoCommit: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (!payload.isRunning() || payload.isStale()) return;
      const endTimer = metrics.batchSeconds.startTimer();
      const events: Message[] = [];
      const deadLetters: Message[] = [];
      const receivedAt = new Date();
      for (const message of batch.messages) {
        metrics.received.labels("kafka").inc();
        const bytes = message.value ?? Buffer.alloc(0);
        const outcome = acceptAuditMessage(bytes, {
          maxEventBytes: config.maxEventBytes,
          maxFutureSkewMs: config.maxFutureSkewMs,
          nowMs: receivedAt.getTime(),
        });
        if (outcome.ok) {
          events.push({
            key: outcome.event.agent.id,
            value: JSON.stringify(outcome.event),
          });
        } else {
          const headers: IHeaders = {
            "warden-reason": outcome.reason,
            "warden-detail": outcome.detail,
            "warden-source-topic": batch.topic,
            "warden-source-partition": String(batch.partition),
            "warden-source-offset": message.offset,
            "warden-received-at": receivedAt.toISOString(),
          };
          deadLetters.push({ key: message.key, value: bytes, headers });
        }
      }
      const topicMessages = [
        ...(events.length > 0
          ? [{ topic: names.topics.events, messages: events }]
          : []),
        ...(deadLetters.length > 0
          ? [{ topic: names.topics.auditDlq, messages: deadLetters }]
          : []),
      ];
      if (topicMessages.length > 0)
        await producer.sendBatch({ topicMessages, acks: -1 });
      metrics.accepted.inc(events.length);
      for (const message of deadLetters)
        metrics.rejected
          .labels(String(message.headers?.["warden-reason"]))
          .inc();
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.lastOffset()) + 1),
        },
      ]);
      await payload.heartbeat();
      endTimer();
      log.debug(
        {
          partition: batch.partition,
          accepted: events.length,
          rejected: deadLetters.length,
        },
        "batch forwarded",
      );
    },
  });
  return {
    consumer,
    producer,
    async stop() {
      // Stop intake first (in-flight batch finishes and commits), then the producer.
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
