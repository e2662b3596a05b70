import {
  createLocalIngest,
  type DeadLetterSink,
  type Deduplicator,
  type IngestConfig,
  type IngestMetrics,
  type IngestSink,
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
 * The all-in-one's wiring of the ingest and detector stages: a posted batch goes through the
 * ingest's local stage (createLocalIngest), its accepted events are stored and scored; a
 * decision is recorded (decision log, findings) and, unless the policy is dry-run, handed to
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
  return createLocalIngest({
    ingest: options.ingest,
    deduplicator: options.deduplicator,
    metrics: options.ingestMetrics,
    deadLetters: options.deadLetters,
    async forward(events) {
      await options.store(events);
      await detector.run(events.map((event) => ({ event })));
    },
  });
}
