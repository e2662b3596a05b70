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
  readonly decisionLatencySeconds: Histogram;
  readonly consumerLag: Gauge<"partition">;
  readonly baselineAgeSeconds: Histogram;
  readonly baselineUpdates: Counter<"result">;
  readonly policyReloads: Counter<"result">;
  readonly restoredEvents: Counter;
  readonly publishRetries: Counter;
  readonly credentialFacts: Counter<"kind" | "outcome">;
  observe(sources: DetectorGaugeSources): void;
}

/** Every metric of the detector service, declared once (see services/detector/README.md). */
export function createDetectorMetrics(
  registry: Registry = createRegistry("detector"),
): DetectorMetrics {
  const registers = [registry];
  let sources: DetectorGaugeSources | undefined;
  const decisions = new Counter({
    name: "warden_detector_decisions_total",
    help: "Decisions published, by action and strongest detector",
    labelNames: ["action", "detector"] as const,
    registers,
  });
  // prom-client creates a labelled series on its first change: inc(0) makes every
  // action × detector series exist (at 0) from the start, so rates and alerts see them.
  for (const action of ACTIONS)
    for (const detector of DETECTOR_NAMES)
      decisions.labels(action, detector).inc(0);
  const dryRunDecisions = new Counter({
    name: "warden_detector_dry_run_decisions_total",
    help: "Decisions recorded but not sent to the revoker because the policy is dry-run",
    labelNames: ["action"] as const,
    registers,
  });
  for (const action of ACTIONS) dryRunDecisions.labels(action).inc(0);
  const policyReloads = new Counter({
    name: "warden_detector_policy_reloads_total",
    help: "Policy file changes applied or rejected (invalid: the policy in force stays)",
    labelNames: ["result"] as const,
    registers,
  });
  for (const result of ["applied", "rejected"])
    policyReloads.labels(result).inc(0);
  new Gauge({
    name: "warden_detector_active_agents",
    help: "Agents whose state is in memory (active within DETECTOR_IDLE_EVICT of event time)",
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
  const credentialFacts = new Counter({
    name: "warden_detector_credential_facts_total",
    help: "Credential facts (kind use or revoked) shared with the other detector instances or applied from them; kind any: rejected (undecodable bucket value) or dropped (over the engine's bound of waiting facts)",
    labelNames: ["kind", "outcome"] as const,
    registers,
  });
  for (const kind of ["use", "revoked"])
    for (const outcome of ["shared", "applied"])
      credentialFacts.labels(kind, outcome).inc(0);
  for (const outcome of ["rejected", "dropped"])
    credentialFacts.labels("any", outcome).inc(0);
  return {
    registry,
    credentialFacts,
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
    decisionLatencySeconds: new Histogram({
      name: "warden_detector_decision_latency_seconds",
      help: "Wall-clock time of a published decision minus its trigger event's time (event → decision)",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers,
    }),
    consumerLag: new Gauge({
      name: "warden_detector_consumer_lag_messages",
      help: "Messages of agent.events.v1 behind the partition's high watermark, as of the partition's last batch",
      labelNames: ["partition"] as const,
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
    policyReloads,
    restoredEvents: new Counter({
      name: "warden_detector_restored_events_total",
      help: "Events re-read at start to rebuild agent state (their decisions were published before)",
      registers,
    }),
    publishRetries: new Counter({
      name: "warden_detector_publish_retries_total",
      help: "Failed attempts to publish a batch's decisions (NATS or Kafka unavailable), each retried",
      registers,
    }),
    observe(next) {
      sources = next;
    },
  };
}
