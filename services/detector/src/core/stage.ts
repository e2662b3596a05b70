import {
  parseCanonicalEvent,
  validateDecision,
  type CanonicalEvent,
  type DecisionV1,
  type Logger,
} from "@warden/shared";
import type { DetectorMetrics } from "../metrics.js";
import type { BaselineIndex } from "./baseline-index.js";
import type { ScoringEngine } from "./engine.js";

/**
 * One input of a detector batch: an event the host already holds, or the bytes of a message
 * (Kafka) to parse here. `where` names the message in logs; `restoring` marks an event re-read
 * to rebuild state, whose decisions were published before a restart.
 */
export type DetectorInput =
  | { readonly event: CanonicalEvent; readonly restoring?: boolean }
  | {
      readonly bytes: Buffer | null;
      readonly where: Readonly<Record<string, string | number>>;
      readonly restoring?: boolean;
    };

/** Where a batch's decisions go. */
export interface DecisionPorts {
  /**
   * Publishes one batch's decisions: `recorded` (every valid decision, dry-run included: the
   * decisions topic, the decision log, a replay's output) and `acted` (those the revoker acts
   * on: none under a dry-run policy). Resolves once both are durable.
   */
  publish(decisions: {
    readonly recorded: readonly DecisionV1[];
    readonly acted: readonly DecisionV1[];
  }): Promise<void>;
}

export type DetectorStageMetrics = Pick<
  DetectorMetrics,
  | "events"
  | "restoredEvents"
  | "scoringSeconds"
  | "baselineAgeSeconds"
  | "suppressed"
  | "held"
  | "invalidDecisions"
  | "decisions"
  | "dryRunDecisions"
  | "decisionLatencySeconds"
>;

/**
 * Baselines kept in event time next to the stage (replay, the all-in-one): the agent's models
 * are brought to the current tick before its event is scored, and the event joins the history
 * after, so a model never sees the event it judges.
 */
export interface EventTimeModels {
  /** May refresh models first (the all-in-one's SQL refresh on a tick): awaited when so. */
  prepare(event: CanonicalEvent, index: BaselineIndex): void | Promise<void>;
  record?(event: CanonicalEvent): void;
}

export interface DetectorStage {
  /**
   * The detector's one batch step, the same in every host: parse → score → validate the
   * decision against its schema → publish (recorded / acted, dry-run decided here) → count and
   * log each decision. Returns the published decisions.
   */
  run(inputs: readonly DetectorInput[]): Promise<DecisionV1[]>;
}

export function createDetectorStage(options: {
  readonly engine: ScoringEngine;
  readonly ports: DecisionPorts;
  readonly baselines?: EventTimeModels;
  readonly metrics: DetectorStageMetrics;
  readonly logger: Logger;
  /** The time stamped on a decision (`decided_at`): wall time live, the event's time in replay. */
  readonly decidedAt: (event: CanonicalEvent) => string;
  /** Wall-clock milliseconds, for the decision latency; injectable for replay. */
  readonly nowMs?: () => number;
}): DetectorStage {
  const { engine, ports, metrics, logger: log } = options;
  const nowMs = options.nowMs ?? Date.now;

  function parse(input: DetectorInput): CanonicalEvent | undefined {
    if ("event" in input) return input.event;
    try {
      return parseCanonicalEvent(input.bytes);
    } catch (error) {
      log.warn(
        { ...input.where, err: error },
        "skipping a message that is not canonical event JSON",
      );
      return undefined;
    }
  }

  async function score(event: CanonicalEvent): Promise<DecisionV1 | undefined> {
    metrics.events.inc();
    const prepared = options.baselines?.prepare(event, engine.baselines);
    if (prepared) await prepared;
    const started = performance.now();
    const scored = engine.observe(event, options.decidedAt(event));
    options.baselines?.record?.(event);
    metrics.scoringSeconds.observe((performance.now() - started) / 1000);
    if (scored.baselineComputedAtMs !== undefined)
      metrics.baselineAgeSeconds.observe(
        (event.time_ms - scored.baselineComputedAtMs) / 1000,
      );
    for (const rule of scored.suppressedBy)
      metrics.suppressed.labels(rule).inc();
    if (scored.held) metrics.held.inc();
    const { decision } = scored;
    if (decision === undefined) return undefined;
    const validation = validateDecision(decision);
    if (validation.ok) return decision;
    metrics.invalidDecisions.inc();
    log.error(
      { decisionId: decision.decision_id, problems: validation.problems },
      "decision fails the decision schema; not published",
    );
    return undefined;
  }

  function counted(decisions: readonly DecisionV1[], dryRun: boolean): void {
    const decidedMs = nowMs();
    for (const decision of decisions) {
      const detector = decision.reasons[0]?.detector ?? "none";
      if (dryRun) metrics.dryRunDecisions.labels(decision.action).inc();
      else metrics.decisions.labels(decision.action, detector).inc();
      metrics.decisionLatencySeconds.observe(
        (decidedMs - Date.parse(decision.at)) / 1000,
      );
      log.info(
        {
          decisionId: decision.decision_id,
          agentId: decision.agent_id,
          action: decision.action,
          dryRun,
          summary: decision.reasons[0]?.summary,
        },
        "decision",
      );
    }
  }

  return {
    async run(inputs) {
      const decisions: DecisionV1[] = [];
      for (const input of inputs) {
        const event = parse(input);
        if (event === undefined) continue;
        if (input.restoring) {
          engine.observe(event, options.decidedAt(event));
          metrics.restoredEvents.inc();
          continue;
        }
        const decision = await score(event);
        if (decision) decisions.push(decision);
      }
      if (decisions.length === 0) return decisions;
      // Read once per batch, so a policy reload mid-publish cannot split a batch's routing.
      const { dryRun } = engine.policy;
      await ports.publish({
        recorded: decisions,
        acted: dryRun ? [] : decisions,
      });
      counted(decisions, dryRun);
      return decisions;
    },
  };
}
