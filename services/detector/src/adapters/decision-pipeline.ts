import type { Consumer, Kafka, Producer } from "kafkajs";
import type { JetStreamClient } from "nats";
import {
  kafkaUnreachable,
  retry,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import type { ScoringEngine } from "../core/engine.js";
import { createDetectorStage, type DecisionPorts } from "../core/stage.js";

import type { DetectorConfig } from "../config.js";
import type { DetectorMetrics } from "../metrics.js";
import type { CredentialIndex } from "./credential-index.js";
import { planRestore, type RestoreRange } from "./state-restore.js";

const PUBLISH_RETRY_MAX_DELAY_MS = 5_000;

/**
 * Publishes a batch's decisions to JetStream (acted) and agent.decisions.v1 (recorded). The
 * engine has already observed the batch (an incident is open at its action), so handing it back
 * to kafkajs would re-observe it and hold the decision for good. Both publications are
 * idempotent (Nats-Msg-Id = decision id; idempotent producer), so they are retried here until
 * they succeed or the service stops.
 */
function publisher(options: {
  readonly jetstream: JetStreamClient;
  readonly producer: Producer;
  readonly names: WardenNames;
  readonly metrics: DetectorMetrics;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly heartbeat: () => Promise<void>;
}): DecisionPorts["publish"] {
  const { jetstream, producer, names, metrics, log } = options;
  const encoder = new TextEncoder();
  return ({ recorded, acted }) =>
    retry(
      async () => {
        await Promise.all([
          ...acted.map((decision) =>
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
            messages: recorded.map((decision) => ({
              key: decision.agent_id,
              value: JSON.stringify(decision),
            })),
            acks: -1,
          }),
        ]);
      },
      {
        attempts: Number.POSITIVE_INFINITY,
        maxDelayMs: PUBLISH_RETRY_MAX_DELAY_MS,
        shouldRetry: () => true,
        signal: options.signal,
        onRetry: (error, attempt, delayMs) => {
          metrics.publishRetries.inc();
          log.warn(
            { err: error, attempt, delayMs, decisions: recorded.length },
            "publishing decisions failed; retrying",
          );
          options.heartbeat().catch(() => undefined);
        },
      },
    );
}

/**
 * agent.events.v1 → scoring engine → decisions, published to JetStream
 * (`warden.decisions.<tenant>.<agent>`, Nats-Msg-Id = decision_id) and to
 * agent.decisions.v1 (key = agent id, acks = all). A batch's offsets are committed only
 * after both acknowledged every decision, so a crash re-delivers; decision ids are
 * deterministic, so the stream de-duplicates the replay. With a dry-run policy decisions go
 * to agent.decisions.v1 only (recorded), never to the revoker's stream.
 */
export async function startDecisionPipeline(options: {
  readonly kafka: Kafka;
  readonly jetstream: JetStreamClient;
  readonly config: DetectorConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: DetectorMetrics;
  readonly engine: ScoringEngine;
  /** The credential facts shared with the other instances (credential-index.ts). */
  readonly credentials?: CredentialIndex;
}): Promise<{ consumer: Consumer; producer: Producer; stop(): Promise<void> }> {
  const { kafka, jetstream, config, names, metrics, engine, credentials } =
    options;
  const log = options.logger.child({ component: "decision-pipeline" });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: names.groups.detector });
  const restoring = new Map<number, RestoreRange>();
  const stopping = new AbortController();
  let restored: Promise<void> = Promise.resolve();
  let firstJoin = true;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = payload.memberAssignment[names.topics.events] ?? [];
    // Every assigned partition's lag series exists from the join (0 until its first batch).
    for (const partition of partitions)
      metrics.consumerLag.labels(String(partition)).set(0);
    // Only after a start: on a later rebalance the engine still holds what it had.
    if (!firstJoin) return;
    firstJoin = false;
    restored = restoreTail(partitions).catch((error: unknown) =>
      log.error(
        { err: error },
        "state restore failed; scoring from the committed offsets with empty state",
      ),
    );
  });

  async function restoreTail(partitions: readonly number[]): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const plan = await planRestore({
        admin,
        groupId: names.groups.detector,
        topic: names.topics.events,
        partitions,
        tailMs: config.restoreTailMs,
        maxMessages: config.restoreMaxMessages,
        nowMs: Date.now(),
      });
      for (const [partition, range] of plan) {
        restoring.set(partition, range);
        consumer.seek({
          topic: names.topics.events,
          partition,
          offset: String(range.from),
        });
      }
      if (plan.size > 0)
        log.info(
          { partitions: Object.fromEntries(plan) },
          "re-reading the tail of the events topic to restore state",
        );
    } finally {
      await admin.disconnect();
    }
  }
  let heartbeat: () => Promise<void> = () => Promise.resolve();
  const stage = createDetectorStage({
    engine,
    ports: {
      publish: publisher({
        jetstream,
        producer,
        names,
        metrics,
        log,
        signal: stopping.signal,
        heartbeat: () => heartbeat(),
      }),
    },
    metrics,
    logger: log,
    decidedAt: () => new Date().toISOString(),
  });
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
      // A batch fetched before the restore's seek is stale and comes again from the tail.
      await restored;
      if (!payload.isRunning() || payload.isStale()) return;
      const restore = restoring.get(batch.partition);
      heartbeat = () => payload.heartbeat();
      // What the other instances committed about credentials is known before this batch.
      await credentials?.caughtUp();
      const decisions = await stage.run(
        batch.messages.map((message) => ({
          bytes: message.value,
          where: { partition: batch.partition, offset: message.offset },
          restoring:
            restore !== undefined && Number(message.offset) < restore.until,
        })),
      );
      // Shared before the commit: a committed batch's facts reach every instance's next batch.
      await credentials?.publish(stopping.signal);
      const next = Number(batch.lastOffset()) + 1;
      // While restoring, the committed offset is ahead: never move it back.
      if (restore && next >= restore.until) restoring.delete(batch.partition);
      if (!restore || next > restore.until)
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: String(next),
          },
        ]);
      metrics.consumerLag
        .labels(String(batch.partition))
        .set(Number(batch.offsetLag()));
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
      // Stop intake first (in-flight batch finishes and commits, or gives up publishing and
      // is read again after the restart), then the producer.
      stopping.abort(new Error("detector stopping"));
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
