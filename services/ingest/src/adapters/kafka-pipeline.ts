import type {
  Consumer,
  IHeaders,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
} from "kafkajs";
import {
  AUDIT_RECORD_HEADER,
  kafkaUnreachable,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { OPEN_BINDING, type Binding } from "../core/accept.js";
import { chunkBySize } from "../core/chunk.js";
import type { Outcome } from "../core/classify.js";
import { ingestBatch } from "../core/stage.js";
import { deadLetterHeaders, ORIGIN_HEADER } from "../core/dead-letter.js";
import type { Deduplicator } from "../core/dedup.js";
import {
  authenticateRecord,
  type GatewayCredential,
} from "../core/gateway-tokens.js";
import type { IngestConfig } from "../config.js";
import type { IngestMetrics, IngestSource } from "../metrics.js";

function header(
  headers: IHeaders | undefined,
  name: string,
): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Only a verified gateway name reaches a dead letter; a bare header proves nothing. */
function verifiedGateway(binding: Binding | undefined): string | undefined {
  return binding?.kind === "gateway" ? binding.credential.gateway : undefined;
}

/**
 * Which credential signed a record (issue 16). Without configured credentials every record is
 * open (development on loopback); with them, an unsigned or mis-signed record is rejected.
 */
function recordBinding(
  headers: IHeaders | undefined,
  value: Buffer,
  credentials: ReadonlyMap<string, GatewayCredential>,
): Binding {
  if (credentials.size === 0) return OPEN_BINDING;
  const credential = authenticateRecord(
    header(headers, AUDIT_RECORD_HEADER.gateway),
    header(headers, AUDIT_RECORD_HEADER.signature),
    value,
    credentials,
  );
  return credential
    ? { kind: "gateway", credential }
    : {
        kind: "unauthenticated",
        detail: `record carries no valid ${AUDIT_RECORD_HEADER.signature} of a configured gateway`,
      };
}

function countKinds(
  outcomes: readonly Outcome[],
): Record<Outcome["kind"], number> {
  const counts = { accepted: 0, rejected: 0, duplicate: 0 };
  for (const outcome of outcomes) counts[outcome.kind]++;
  return counts;
}

/**
 * agent.audit.v1 → agent.events.v1 (key = agent id) or agent.audit.dlq (original bytes,
 * reason in headers). A batch's offsets are committed, and its event ids remembered for
 * de-duplication, only after the broker acknowledged every produced message (acks = all):
 * a crash re-delivers rather than loses.
 */
export async function startKafkaPipeline(options: {
  readonly kafka: Kafka;
  readonly config: IngestConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: IngestMetrics;
  readonly deduplicator: Deduplicator;
}): Promise<{ consumer: Consumer; producer: Producer; stop(): Promise<void> }> {
  const { kafka, config, names, metrics, deduplicator } = options;
  const log = options.logger.child({ component: "kafka-pipeline" });
  const credentials = new Map(
    config.httpTokens.map((credential) => [credential.gateway, credential]),
  );
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
    partitionsConsumedConcurrently: config.concurrentPartitions,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (!payload.isRunning() || payload.isStale()) return;
      const endTimer = metrics.batchSeconds.startTimer();
      const receivedAt = new Date();
      const values = batch.messages.map(
        (message) => message.value ?? Buffer.alloc(0),
      );
      const bindings = batch.messages.map((message, index) =>
        recordBinding(message.headers, values[index] as Buffer, credentials),
      );
      const send = async (topic: string, messages: Message[]) => {
        // Sequential sends, each acknowledged by all replicas, before anything is committed.
        for (const chunk of chunkBySize(messages))
          await producer.send({ topic, messages: chunk, acks: -1 });
      };
      const outcomes = await ingestBatch(
        values,
        { ...config, nowMs: receivedAt.getTime() },
        deduplicator,
        {
          forward: (events) =>
            send(
              names.topics.events,
              events.map(({ event }) => ({
                key: event.agent.id,
                value: JSON.stringify(event),
              })),
            ),
          deadLetter: (rejected) =>
            send(
              names.topics.auditDlq,
              rejected.map(({ index, reason, detail }) => {
                const message = batch.messages[index] as KafkaMessage;
                return {
                  key: message.key,
                  value: message.value ?? Buffer.alloc(0),
                  headers: deadLetterHeaders(
                    { reason, detail },
                    {
                      topic: batch.topic,
                      partition: batch.partition,
                      offset: message.offset,
                      receivedAt,
                      gateway: verifiedGateway(bindings[index]),
                    },
                  ),
                };
              }),
            ),
        },
        (index) => bindings[index] ?? OPEN_BINDING,
      );
      const counted = outcomes.map((outcome, index) => {
        const source: IngestSource =
          header(batch.messages[index]?.headers, ORIGIN_HEADER.source) ===
          "http"
            ? "http"
            : "kafka";
        return { outcome, source };
      });
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.lastOffset()) + 1),
        },
      ]);
      metrics.countOutcomes(counted, receivedAt.getTime());
      metrics.batchSize.observe(batch.messages.length);
      metrics.consumerLag
        .labels(String(batch.partition))
        .set(Number(batch.offsetLag()));
      metrics.dedupEntries.set(deduplicator.size);
      await payload.heartbeat();
      endTimer();
      log.debug(
        {
          partition: batch.partition,
          ...countKinds(outcomes),
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
