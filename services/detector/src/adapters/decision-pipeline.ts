import type { Consumer, Kafka, Message, Producer } from "kafkajs";
import type { JetStreamClient } from "nats";
import {
  kafkaUnreachable,
  parseCanonicalEvent,
  validateDecision,
  type CanonicalEvent,
  type DecisionV1,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { observeBurst, type BurstState } from "../core/burst-rule.js";

import type { DetectorConfig } from "../config.js";
import type { createDetectorMetrics } from "../metrics.js";

/**
 * agent.events.v1 → burst rule → decisions, published to JetStream
 * (`warden.decisions.<tenant>.<agent>`, Nats-Msg-Id = decision_id) and to
 * agent.decisions.v1 (key = agent id, acks = all). A batch's offsets are committed only
 * after both acknowledged every decision, so a crash re-delivers; decision ids are
 * deterministic, so the stream de-duplicates the replay.
 */
export async function startDecisionPipeline(options: {
  readonly kafka: Kafka;
  readonly jetstream: JetStreamClient;
  readonly config: DetectorConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: ReturnType<typeof createDetectorMetrics>;
}): Promise<{ consumer: Consumer; producer: Producer; stop(): Promise<void> }> {
  const { kafka, jetstream, config, names, metrics } = options;
  const log = options.logger.child({ component: "decision-pipeline" });
  const encoder = new TextEncoder();
  const state: BurstState = new Map();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: names.groups.detector });
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.events,
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
      const decisions: DecisionV1[] = [];
      const nowIso = new Date().toISOString();
      for (const message of batch.messages) {
        let event: CanonicalEvent;
        try {
          event = parseCanonicalEvent(message.value);
        } catch (error) {
          log.warn(
            { partition: batch.partition, offset: message.offset, err: error },
            "skipping a message that is not canonical event JSON",
          );
          continue;
        }
        metrics.events.inc();
        const decision = observeBurst(state, config.burst, event, nowIso);
        if (decision === undefined) continue;
        const validation = validateDecision(decision);
        if (!validation.ok) {
          metrics.invalidDecisions.inc();
          log.error(
            {
              decisionId: decision.decision_id,
              problems: validation.problems,
            },
            "decision fails the decision schema; not published",
          );
          continue;
        }
        decisions.push(decision);
      }
      if (decisions.length > 0) {
        const messages: Message[] = decisions.map((decision) => ({
          key: decision.agent_id,
          value: JSON.stringify(decision),
        }));
        await Promise.all([
          ...decisions.map((decision) =>
            jetstream.publish(
              names.decisionSubject(
                decision.tenant ?? "default",
                decision.agent_id,
              ),
              encoder.encode(JSON.stringify(decision)),
              { msgID: decision.decision_id },
            ),
          ),
          producer.send({
            topic: names.topics.decisions,
            messages,
            acks: -1,
          }),
        ]);
        for (const decision of decisions)
          metrics.decisions.labels(decision.action).inc();
      }
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.lastOffset()) + 1),
        },
      ]);
      await payload.heartbeat();
      log.debug(
        {
          partition: batch.partition,
          events: batch.messages.length,
          decisions: decisions.length,
        },
        "batch evaluated",
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
