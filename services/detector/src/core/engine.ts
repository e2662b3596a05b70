import { createHash } from "node:crypto";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  MINUTE_MS,
  MINUTES_PER_HOUR,
  recordEvent,
  type AgentState,
} from "./agent-state.js";
import { createBaselineIndex, type BaselineIndex } from "./baseline-index.js";
import { forgetBefore, rememberBounded } from "./bounded.js";
import {
  burstDetector,
  deniedProbingDetector,
  rateSpikeDetector,
} from "./detectors/activity.js";
import {
  novelResourceDetector,
  volumeExfilDetector,
} from "./detectors/data.js";
import {
  credentialMisuseDetector,
  delegationAnomalyDetector,
  novelActionDetector,
  privilegeEscalationDetector,
} from "./detectors/identity.js";
import { denyRuleDetector } from "./detectors/rules.js";
import { offHoursDetector, slowDriftDetector } from "./detectors/temporal.js";
import type {
  Detector,
  DetectorInput,
  DetectorLimits,
  DetectorResult,
} from "./detectors/types.js";
import { admitDecision } from "./incident.js";
import type { Action, Policy } from "./policy.js";
import { chooseAction, combineRisk } from "./risk.js";
import { createBoundedStore } from "./state-store.js";
import { muteDetectors, suppressingRule } from "./suppression.js";

export const DETECTORS: readonly Detector[] = [
  burstDetector,
  rateSpikeDetector,
  novelActionDetector,
  novelResourceDetector,
  volumeExfilDetector,
  privilegeEscalationDetector,
  credentialMisuseDetector,
  deniedProbingDetector,
  delegationAnomalyDetector,
  offHoursDetector,
  slowDriftDetector,
  denyRuleDetector,
];

/** Agents sharing one credential that are remembered per credential. */
const AGENTS_PER_CREDENTIAL = 8;
const HOUR_MS = MINUTES_PER_HOUR * MINUTE_MS;

export interface EngineOptions {
  readonly limits: DetectorLimits;
  readonly policy: Policy;
  /** Hard bound on agents in memory; the least recently active are dropped first. */
  readonly maxAgents: number;
  /** Agents without events for this long (event time) are dropped. */
  readonly idleEvictMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What scoring one event produced. */
export interface ScoredEvent {
  readonly results: readonly DetectorResult[];
  readonly risk: number;
  /** The decision to publish, when there is one (also when dry-run: the caller decides where). */
  readonly decision?: DecisionV1;
  /** Suppression rules that changed the outcome of this event. */
  readonly suppressedBy: readonly string[];
  /** An action was due but the open incident already had one at least as strong. */
  readonly held: boolean;
  /** Event time minus the baseline's computation time, when a baseline was used. */
  readonly baselineAgeMs?: number;
}

const QUIET: ScoredEvent = Object.freeze({
  results: [],
  risk: 0,
  suppressedBy: [],
  held: false,
});

export interface ScoringEngine {
  readonly baselines: BaselineIndex;
  /** Scores one event; `decidedAt` is the wall-clock time to stamp on a decision. */
  observe(event: CanonicalEvent, decidedAt: string): ScoredEvent;
  setPolicy(policy: Policy): void;
  readonly policy: Policy;
  readonly agents: number;
  readonly evictedAgents: number;
}

/** Same trigger and action → same id, so a replay is dropped downstream as a duplicate. */
export function decisionId(event: CanonicalEvent, action: Action): string {
  return createHash("sha256")
    .update(
      `${event.tenant}\u0000${event.agent.id}\u0000${event.event_id}\u0000${action}`,
    )
    .digest("hex")
    .slice(0, 32);
}

function buildDecision(
  event: CanonicalEvent,
  state: AgentState,
  action: Action,
  risk: number,
  results: readonly DetectorResult[],
  decidedAt: string,
): DecisionV1 {
  const reasons = [...results]
    .sort((a, b) => b.score - a.score || a.detector.localeCompare(b.detector))
    .map((r) => ({
      detector: r.detector,
      score: r.score,
      summary: r.summary,
      observed: r.observed,
      expected: r.expected,
    }));
  const credentials = [...state.credentials.keys()].filter(
    (id) => id !== event.credential.id,
  );
  return {
    schema: "agent-decision/v1",
    decision_id: decisionId(event, action),
    tenant: event.tenant,
    agent_id: event.agent.id,
    action,
    risk,
    at: event.time,
    decided_at: decidedAt,
    trigger_event_id: event.event_id,
    credential_ids: [event.credential.id, ...credentials.reverse()],
    delegation: [...event.delegation],
    ...(event.agent.owner ? { owner: event.agent.owner } : {}),
    ...(event.on_behalf_of ? { on_behalf_of: event.on_behalf_of } : {}),
    reasons,
  };
}

/** The pure scoring core: per-agent state, detectors, risk, policy. No I/O. */
export function createScoringEngine(options: EngineOptions): ScoringEngine {
  const { limits, maxAgents, idleEvictMs } = options;
  let policy = options.policy;
  const layout = createWindowLayout(limits.burstWindowMs);
  const baselines = createBaselineIndex();
  const agents = createBoundedStore<AgentState>({
    maxEntries: maxAgents,
    idleMs: idleEvictMs,
  });
  const credentialUsers = createBoundedStore<Map<string, number>>({
    maxEntries: maxAgents,
    idleMs: HOUR_MS,
  });
  const input: Mutable<DetectorInput> = {
    event: undefined as unknown as CanonicalEvent,
    state: undefined as unknown as AgentState,
    layout,
    baseline: undefined,
    limits,
    credentialAgents: 0,
    denyRules: policy.denyRules,
  };
  return {
    baselines,
    setPolicy: (next) => void (policy = next),
    get policy() {
      return policy;
    },
    get agents() {
      return agents.size;
    },
    get evictedAgents() {
      return agents.evicted;
    },
    observe(event, decidedAt) {
      const t = event.time_ms;
      const key = `${event.tenant}\u0000${event.agent.id}`;
      const state = agents.touch(key, t, () => createAgentState(layout, event));
      recordEvent(layout, state, event);
      // Keyed by the credential alone: one used across tenants is as suspect as within one.
      const users = credentialUsers.touch(
        `${event.credential.type}\u0000${event.credential.id}`,
        t,
        () => new Map(),
      );
      rememberBounded(users, event.agent.id, t, AGENTS_PER_CREDENTIAL);
      const credentialAgents = forgetBefore(users, t - HOUR_MS);
      const baseline = baselines.resolve(state.baselineKeys);
      // One input object per engine, refilled per event: scoring is synchronous, and not
      // allocating it per event is measurable at 10⁵ events/s.
      input.event = event;
      input.state = state;
      input.baseline = baseline;
      input.credentialAgents = credentialAgents;
      input.denyRules = policy.denyRules;
      let raw: DetectorResult[] | undefined;
      for (const detector of DETECTORS) {
        const result = detector(input);
        if (result && result.score > 0) (raw ??= []).push(result);
      }
      const baselineAgeMs = baseline
        ? t - baseline.model.computedAtMs
        : undefined;
      if (!raw) {
        // The common case: nothing fired. The incident clock still runs (admitDecision).
        admitDecision(state, t, 0, undefined, policy);
        return baselineAgeMs === undefined
          ? QUIET
          : { ...QUIET, baselineAgeMs };
      }
      const { kept, firedRules } = muteDetectors(raw, event, policy);
      const risk = combineRisk(kept, policy);
      const action = chooseAction(risk, kept, policy);
      const base = {
        results: kept,
        risk,
        ...(baselineAgeMs !== undefined ? { baselineAgeMs } : {}),
      };
      const admission = admitDecision(state, t, risk, action, policy);
      if (admission !== "decide" || !action)
        return {
          ...base,
          suppressedBy: firedRules,
          held: admission === "held",
        };
      // Suppressed after admission: the incident stays open, so it is counted once, not per event.
      const rule = suppressingRule(action, event, policy);
      if (rule)
        return { ...base, suppressedBy: [...firedRules, rule], held: false };
      return {
        ...base,
        suppressedBy: firedRules,
        held: false,
        decision: buildDecision(event, state, action, risk, kept, decidedAt),
      };
    },
  };
}
