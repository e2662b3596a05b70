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
import type { ScoringEngine } from "../core/engine.js";

import type { DetectorConfig } from "../config.js";
import type { DetectorMetrics } from "../metrics.js";

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
}): Promise<{ consumer: Consumer; producer: Producer; stop(): Promise<void> }> {
  const { kafka, jetstream, config, names, metrics, engine } = options;
  const log = options.logger.child({ component: "decision-pipeline" });
  const encoder = new TextEncoder();
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
        const started = performance.now();
        const scored = engine.observe(event, nowIso);
        metrics.scoringSeconds.observe((performance.now() - started) / 1000);
        if (scored.baselineAgeMs !== undefined)
          metrics.baselineAgeSeconds.observe(scored.baselineAgeMs / 1000);
        for (const rule of scored.suppressedBy)
          metrics.suppressed.labels(rule).inc();
        if (scored.held) metrics.held.inc();
        const decision = scored.decision;
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
        const toRevoker = engine.policy.dryRun ? [] : decisions;
        await Promise.all([
          ...toRevoker.map((decision) =>
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
        const decidedMs = Date.now();
        for (const decision of decisions) {
          const detector = decision.reasons[0]?.detector ?? "none";
          if (engine.policy.dryRun)
            metrics.dryRunDecisions.labels(decision.action).inc();
          else metrics.decisions.labels(decision.action, detector).inc();
          metrics.eventToDecisionSeconds.observe(
            (decidedMs - Date.parse(decision.at)) / 1000,
          );
          log.info(
            {
              decisionId: decision.decision_id,
              agentId: decision.agent_id,
              action: decision.action,
              dryRun: engine.policy.dryRun,
              summary: decision.reasons[0]?.summary,
            },
            "decision",
          );
        }
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
