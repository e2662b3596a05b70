import {
  httpDeadLetterHeaders,
  ingestBatch,
  messageBytes,
  type Binding,
  type DeadLetterSink,
  type Deduplicator,
  type IngestConfig,
  type IngestMetrics,
  type IngestSink,
  type LineResult,
  type LocalDeadLetters,
} from "@warden/ingest";
import {
  createDetectorStage,
  type DetectorMetrics,
  type EventTimeModels,
  type ScoringEngine,
} from "@warden/detector";
import type { CanonicalEvent, DecisionV1, Logger } from "@warden/shared";

/**
 * The all-in-one's wiring of the ingest and detector stages: a posted batch is classified,
 * its accepted events stored and scored, its rejected lines dead-lettered in the DLQ's shape;
 * a decision is recorded (decision log, findings) and, unless the policy is dry-run, handed to
 * the revoker before the request is answered.
 */
export function createAllInOnePipeline(options: {
  readonly ingest: IngestConfig;
  readonly deduplicator: Deduplicator;
  readonly ingestMetrics: IngestMetrics;
  readonly detectorMetrics: DetectorMetrics;
  readonly engine: ScoringEngine;
  readonly baselines: EventTimeModels;
  readonly store: (events: readonly CanonicalEvent[]) => Promise<void>;
  readonly deadLetters: LocalDeadLetters;
  readonly record: (decision: DecisionV1) => Promise<void>;
  readonly act: (decision: DecisionV1) => Promise<void>;
  readonly logger: Logger;
}): {
  sink: IngestSink;
  deadLetter: DeadLetterSink;
  readonly counts: { accepted: number; rejected: number };
} {
  const { ingest, deduplicator, deadLetters } = options;
  const counts = { accepted: 0, rejected: 0 };
  const detector = createDetectorStage({
    engine: options.engine,
    baselines: options.baselines,
    metrics: options.detectorMetrics,
    logger: options.logger.child({ component: "detector" }),
    decidedAt: () => new Date().toISOString(),
    ports: {
      async publish({ recorded, acted }) {
        for (const decision of recorded) await options.record(decision);
        for (const decision of acted) await options.act(decision);
      },
    },
  });
  const gatewayOf = (binding: Binding) =>
    binding.kind === "gateway" ? binding.credential.gateway : undefined;
  // Keyed by the gateway, as the cluster keys what it could not read as an event.
  const keyOf = (binding: Binding) => {
    const gateway = gatewayOf(binding);
    return gateway === undefined ? null : Buffer.from(gateway);
  };

  const sink: IngestSink = async (messages, binding) => {
    const receivedAt = new Date();
    const outcomes = await ingestBatch(
      messages,
      { ...ingest, nowMs: receivedAt.getTime() },
      deduplicator,
      {
        async forward(events) {
          const accepted = events.map(({ event }) => event);
          await options.store(accepted);
          await detector.run(accepted.map((event) => ({ event })));
        },
        deadLetter: (rejected) =>
          deadLetters.write(
            rejected.map(({ index, reason, detail }) => ({
              key: keyOf(binding),
              value: messageBytes(messages[index] ?? Buffer.alloc(0)),
              headers: httpDeadLetterHeaders(
                { reason, detail },
                receivedAt,
                gatewayOf(binding),
              ),
            })),
          ),
      },
      binding,
    );
    for (const outcome of outcomes)
      if (outcome.kind === "accepted") counts.accepted++;
      else if (outcome.kind === "rejected") counts.rejected++;
    options.ingestMetrics.countOutcomes(
      outcomes.map((outcome) => ({ outcome, source: "http" as const })),
      receivedAt.getTime(),
    );
    options.ingestMetrics.dedupEntries.set(deduplicator.size);
    return outcomes.map((outcome, index): LineResult => {
      const line = index + 1;
      if (outcome.kind === "rejected")
        return {
          line,
          status: "rejected",
          reason: outcome.reason,
          detail: outcome.detail,
        };
      return { line, status: outcome.kind };
    });
  };

  // Foreign records no mapper could map (CloudTrail, OTLP) join the same dead letters.
  const deadLetter: DeadLetterSink = (letters, binding) => {
    const receivedAt = new Date();
    return deadLetters.write(
      letters.map((letter) => ({
        key: keyOf(binding),
        value: letter.raw,
        headers: httpDeadLetterHeaders(letter, receivedAt, gatewayOf(binding)),
      })),
    );
  };
  return { sink, deadLetter, counts };
}
