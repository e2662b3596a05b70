import {
  Counter,
  Gauge,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";
import { DETECTOR_NAMES } from "./core/detectors/types.js";
import { ACTIONS } from "./core/policy.js";

/** Point-in-time values read at scrape time. */
export interface DetectorGaugeSources {
  agents(): number;
  evictedAgents(): number;
  baselines(): number;
}

export interface DetectorMetrics {
  readonly registry: Registry;
  readonly events: Counter;
  readonly decisions: Counter<"action" | "detector">;
  readonly dryRunDecisions: Counter<"action">;
  readonly held: Counter;
  readonly suppressed: Counter<"rule">;
  readonly invalidDecisions: Counter;
  readonly scoringSeconds: Histogram;
  readonly eventToDecisionSeconds: Histogram;
  readonly baselineAgeSeconds: Histogram;
  readonly baselineUpdates: Counter<"result">;
  observe(sources: DetectorGaugeSources): void;
}

/** Every metric of the detector service, declared once (see services/detector/README.md). */
export function createDetectorMetrics(): DetectorMetrics {
  const registry = createRegistry("detector");
  const registers = [registry];
  let sources: DetectorGaugeSources | undefined;
  const decisions = new Counter({
    name: "warden_detector_decisions_total",
    help: "Decisions published, by action and strongest detector",
    labelNames: ["action", "detector"] as const,
    registers,
  });
  for (const action of ACTIONS)
    for (const detector of DETECTOR_NAMES) decisions.labels(action, detector);
  const dryRunDecisions = new Counter({
    name: "warden_detector_dry_run_decisions_total",
    help: "Decisions recorded but not sent to the revoker because the policy is dry-run",
    labelNames: ["action"] as const,
    registers,
  });
  new Gauge({
    name: "warden_detector_agents",
    help: "Agents whose state is in memory",
    registers,
    collect() {
      this.set(sources?.agents() ?? 0);
    },
  });
  new Gauge({
    name: "warden_detector_evicted_agents",
    help: "Agents dropped from memory since start (idle or over the cap)",
    registers,
    collect() {
      this.set(sources?.evictedAgents() ?? 0);
    },
  });
  new Gauge({
    name: "warden_detector_baselines",
    help: "Baselines (agent, peer and tenant) loaded from the KV bucket",
    registers,
    collect() {
      this.set(sources?.baselines() ?? 0);
    },
  });
  return {
    registry,
    events: new Counter({
      name: "warden_detector_events_total",
      help: "Canonical events scored",
      registers,
    }),
    decisions,
    dryRunDecisions,
    held: new Counter({
      name: "warden_detector_held_decisions_total",
      help: "Actions not re-decided because the agent's open incident already had one as strong",
      registers,
    }),
    suppressed: new Counter({
      name: "warden_detector_suppressed_total",
      help: "Decisions dropped or detector scores muted by a policy suppression, by rule id",
      labelNames: ["rule"] as const,
      registers,
    }),
    invalidDecisions: new Counter({
      name: "warden_detector_invalid_decisions_total",
      help: "Decisions that failed the decision schema (a programming error) and were not published",
      registers,
    }),
    scoringSeconds: new Histogram({
      name: "warden_detector_scoring_seconds",
      help: "Time to score one event (all detectors, risk and policy)",
      buckets: [1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2],
      registers,
    }),
    eventToDecisionSeconds: new Histogram({
      name: "warden_detector_event_to_decision_seconds",
      help: "Wall-clock time of a published decision minus its trigger event's time",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers,
    }),
    baselineAgeSeconds: new Histogram({
      name: "warden_detector_baseline_age_seconds",
      help: "Event time minus the used baseline's computation time, per scored event",
      buckets: [60, 600, 3600, 6 * 3600, 86400, 7 * 86400],
      registers,
    }),
    baselineUpdates: new Counter({
      name: "warden_detector_baseline_updates_total",
      help: "Baseline KV entries applied, deleted or rejected (undecodable)",
      labelNames: ["result"] as const,
      registers,
    }),
    observe(next) {
      sources = next;
    },
  };
}
