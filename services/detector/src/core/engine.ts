import { createHash } from "node:crypto";
import type { BaselineModel, CanonicalEvent, DecisionV1 } from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  MINUTE_MS,
  MINUTES_PER_HOUR,
  recordEvent,
  type AgentState,
  type WindowLayout,
} from "./agent-state.js";
import {
  createBaselineIndex,
  type BaselineIndex,
  type ResolvedBaseline,
} from "./baseline-index.js";
import { forgetBefore, rememberBounded } from "./bounded.js";
import {
  burstDetector,
  deniedProbingDetector,
  destructiveBurstDetector,
  rateSpikeDetector,
} from "./detectors/activity.js";
import { controlPlaneDetector } from "./detectors/control-plane.js";
import {
  clientNoveltyDetector,
  counterpartyNoveltyDetector,
  credentialLifetimeDetector,
} from "./detectors/counterparty.js";
import {
  novelResourceDetector,
  volumeExfilDetector,
} from "./detectors/data.js";
import {
  credentialContextDetector,
  credentialMisuseDetector,
  delegationAnomalyDetector,
  novelActionDetector,
  privilegeEscalationDetector,
} from "./detectors/identity.js";
import { dormantIdentityDetector } from "./detectors/dormancy.js";
import { denyRuleDetector } from "./detectors/rules.js";
import {
  createSpendMemory,
  llmSpendDetector,
  type SpendMemory,
} from "./detectors/spend.js";
import { transitionNoveltyDetector } from "./detectors/sequence.js";
import { offHoursDetector, slowDriftDetector } from "./detectors/temporal.js";
import {
  DETECTOR_INDEX,
  type Detector,
  type DetectorInput,
  type DetectorLimits,
  type DetectorName,
  type DetectorResult,
} from "./detectors/types.js";
import {
  createGroupCalibration,
  type GroupCalibration,
} from "./calibration.js";
import { accumulateEvidence, admitDecision } from "./incident.js";
import { policyFor, type Action, type Policy } from "./policy.js";
import {
  chooseAction,
  cutoffsFor,
  effectiveCutoffs,
  impactBits,
  riskOf,
  type Cutoffs,
} from "./risk.js";
import { USE_SLOT_MS, type CredentialFact } from "./credential-facts.js";
import { createSeenSets, type SeenSets } from "./seen.js";
import { createBoundedStore, type BoundedStore } from "./state-store.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
  type TransitionMemory,
} from "./transitions.js";
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
  controlPlaneDetector,
  counterpartyNoveltyDetector,
  credentialContextDetector,
  clientNoveltyDetector,
  destructiveBurstDetector,
  credentialLifetimeDetector,
  dormantIdentityDetector,
  transitionNoveltyDetector,
  llmSpendDetector,
];

/** Agents sharing one credential that are remembered per credential. */
const AGENTS_PER_CREDENTIAL = 8;
const HOUR_MS = MINUTES_PER_HOUR * MINUTE_MS;
/** How long an agent's counterparties and clients are remembered without a sighting. */
const SEEN_MEMORY_MS = 14 * 24 * HOUR_MS;
/** How long a revoked credential is remembered (event time). */
const REVOKED_MEMORY_MS = 24 * HOUR_MS;
/** Reasons kept per incident: the strongest result of each detector that contributed. */
function noteResults(
  state: AgentState,
  results: readonly DetectorResult[],
): readonly DetectorResult[] {
  const notes = (state.notes ??= new Map<string, DetectorResult>());
  for (const result of results) {
    const held = notes.get(result.detector);
    if (!held || result.bits >= held.bits) notes.set(result.detector, result);
  }
  // Only detectors whose evidence has not decayed away still explain the incident.
  for (const name of notes.keys())
    if (!((state.evidence?.[DETECTOR_INDEX[name as DetectorName]] ?? 0) > 0))
      notes.delete(name);
  return [...notes.values()];
}

const createPeerTransitions = (): TransitionMemory =>
  createTransitionMemory(PEER_TRANSITION_SLOTS);

export interface EngineOptions {
  readonly limits: DetectorLimits;
  readonly policy: Policy;
  /** Hard bound on agents in memory; the least recently active are dropped first. */
  readonly maxAgents: number;
  /** One tenant's share of `maxAgents` (issue 16); all of it when absent. */
  readonly maxAgentsPerTenant?: number;
  /** Agents without events for this long (event time) are dropped. */
  readonly idleEvictMs: number;
  /**
   * Keep the credential facts other instances need (credential-facts.ts) for `takeFacts`: only
   * in a host that shares them, since nobody else drains them.
   */
  readonly shareFacts?: boolean;
}

/** Facts kept for `takeFacts` at most; past it they are counted, not kept (a credential flood). */
export const MAX_PENDING_FACTS = 10_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What scoring one event produced. */
export interface ScoredEvent {
  readonly results: readonly DetectorResult[];
  /** Share of the revoke cut-off the incident's evidence reached, in [0, 1]. */
  readonly risk: number;
  /** The incident's evidence in bits (incident.ts). */
  readonly evidence: number;
  /** The decision to publish, when there is one (also when dry-run: the caller decides where). */
  readonly decision?: DecisionV1;
  /** Suppression rules that changed the outcome of this event. */
  readonly suppressedBy: readonly string[];
  /** An action was due but the open incident already had one at least as strong. */
  readonly held: boolean;
  /**
   * The used baseline's computation time, when one was used (its age is the event's time minus
   * this): a per-baseline constant, so a quiet event's result is one shared object.
   */
  readonly baselineComputedAtMs?: number;
}

const QUIET: ScoredEvent = Object.freeze({
  results: [],
  risk: 0,
  evidence: 0,
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
  /** The credential facts for other instances since the last call (with `shareFacts`). */
  takeFacts(): CredentialFact[];
  /** Facts not kept because `MAX_PENDING_FACTS` were waiting. */
  readonly droppedFacts: number;
  /** Another instance's fact: its agent's use of a credential, or a revocation. */
  learnFact(fact: CredentialFact): void;
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
  cutoffs: Cutoffs,
  decidedAt: string,
): DecisionV1 {
  // Strongest first by what each contributes now (its evidence decayed to this event).
  const weight = (r: DetectorResult): number =>
    state.evidence?.[DETECTOR_INDEX[r.detector]] ?? r.bits;
  const reasons = [...results]
    .sort(
      (a, b) => weight(b) - weight(a) || a.detector.localeCompare(b.detector),
    )
    .map((r) => ({
      detector: r.detector,
      score: riskOf(r.bits, cutoffs),
      bits: Math.round(r.bits * 10) / 10,
      summary: r.summary,
      observed: r.observed,
      expected: r.expected,
      ...(r.techniques ? { techniques: [...r.techniques] } : {}),
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

/** The tenant part of an agent-state key (`<tenant>\0<agent>`, built in observe). */
function tenantOfKey(key: string): string {
  return key.slice(0, key.indexOf("\u0000"));
}

/** Everything the engine remembers, each store bounded (state-store.ts). */
interface EngineMemory {
  readonly agents: BoundedStore<AgentState>;
  /** Agents per credential within the tenant, with the time each last used it. */
  readonly credentialUsers: BoundedStore<Map<string, number>>;
  /** Counterparties and user agents seen, per agent, remembered for weeks of event time. */
  readonly sightings: BoundedStore<SeenSets>;
  /** The same per peer group (tenant and agent kind): a few per tenant, kept as long. */
  readonly peerSightings: BoundedStore<SeenSets>;
  /** Action transitions per peer group (tenant and kind), remembered like the sightings. */
  readonly peerTransitions: BoundedStore<TransitionMemory>;
  readonly calibration: GroupCalibration;
  /** Model spend per agent and per peer group (detectors/spend.ts), remembered like the sightings. */
  readonly spending: BoundedStore<SpendMemory>;
  /** Credentials Warden revoked, with the event time it did: a later use means it did not hold. */
  readonly revoked: BoundedStore<number>;
  /** Facts for other instances, when shared (EngineOptions.shareFacts). */
  readonly outbox: { facts: CredentialFact[]; dropped: number } | undefined;
}

function createEngineMemory(options: EngineOptions): EngineMemory {
  const { maxAgents, idleEvictMs } = options;
  const perTenant = options.maxAgentsPerTenant ?? maxAgents;
  const longMemory = <V>() =>
    createBoundedStore<V>({ maxEntries: maxAgents, idleMs: SEEN_MEMORY_MS });
  return {
    agents: createBoundedStore<AgentState>({
      maxEntries: maxAgents,
      idleMs: idleEvictMs,
      maxEntriesPerGroup: perTenant,
      groupOf: tenantOfKey,
    }),
    credentialUsers: createBoundedStore<Map<string, number>>({
      maxEntries: maxAgents,
      idleMs: HOUR_MS,
      maxEntriesPerGroup: perTenant,
      groupOf: tenantOfKey,
    }),
    sightings: longMemory<SeenSets>(),
    peerSightings: longMemory<SeenSets>(),
    peerTransitions: longMemory<TransitionMemory>(),
    calibration: createGroupCalibration({
      maxEntries: maxAgents,
      idleMs: SEEN_MEMORY_MS,
    }),
    spending: longMemory<SpendMemory>(),
    revoked: createBoundedStore<number>({
      maxEntries: maxAgents,
      idleMs: REVOKED_MEMORY_MS,
    }),
    outbox: options.shareFacts ? { facts: [], dropped: 0 } : undefined,
  };
}

function share(memory: EngineMemory, fact: CredentialFact): void {
  const { outbox } = memory;
  if (!outbox) return;
  if (outbox.facts.length < MAX_PENDING_FACTS) outbox.facts.push(fact);
  else outbox.dropped++;
}

/**
 * The agent's first call with this credential in a slot of event time is shared (`previousMs`:
 * its last call with it before this one), so other instances count it among the credential's
 * users.
 */
function shareUse(
  memory: EngineMemory,
  event: CanonicalEvent,
  previousMs: number | undefined,
): void {
  const t = event.time_ms;
  if (
    previousMs !== undefined &&
    Math.floor(previousMs / USE_SLOT_MS) === Math.floor(t / USE_SLOT_MS)
  )
    return;
  share(memory, {
    kind: "use",
    tenant: event.tenant,
    type: event.credential.type,
    id: event.credential.id,
    agent: event.agent.id,
    atMs: t,
  });
}

/**
 * Another instance's fact, folded in as if this instance had seen it: a use moves the agent's
 * last use of the credential forward (never back), a revocation is kept unless one is.
 */
function learnFact(memory: EngineMemory, fact: CredentialFact): void {
  const credentialKey = `${fact.type}\u0000${fact.id}`;
  if (fact.kind === "revoked") {
    if (!memory.revoked.get(credentialKey))
      memory.revoked.touch(credentialKey, fact.atMs, () => fact.atMs);
    return;
  }
  const users = memory.credentialUsers.touch(
    `${fact.tenant}\u0000${credentialKey}`,
    fact.atMs,
    () => new Map(),
  );
  const known = users.get(fact.agent);
  if (known === undefined || known < fact.atMs)
    rememberBounded(users, fact.agent, fact.atMs, AGENTS_PER_CREDENTIAL);
}

/**
 * The detector input with what observe refills per event: the agent's state key, and its seen
 * sets once a detector asked (several do per event; one store look-up serves them all).
 */
type ReusedInput = Mutable<DetectorInput> & {
  agentKey: string;
  agentSeen: SeenSets | undefined;
};

/**
 * One input object per engine, refilled per event (in observe): scoring is synchronous, and
 * not allocating it (nor the memory look-ups' closures) per event is measurable at 10⁵ events/s.
 */
function createDetectorInput(
  memory: EngineMemory,
  limits: DetectorLimits,
  layout: WindowLayout,
  baselines: BaselineIndex,
  policy: Policy,
): ReusedInput {
  const input: ReusedInput = {
    event: undefined as unknown as CanonicalEvent,
    state: undefined as unknown as AgentState,
    agentKey: "",
    agentSeen: undefined,
    layout,
    baseline: undefined,
    limits,
    credentialAgents: 0,
    denyRules: policy.denyRules,
    baselines,
    revokedAtMs: undefined,
    // Peer memories are keyed by the peer baseline's key (never equal to an agent key).
    seen: (scope) =>
      scope === "peer"
        ? memory.peerSightings.touch(
            input.state.baselineKeys.peer,
            input.event.time_ms,
            createSeenSets,
          )
        : (input.agentSeen ??= memory.sightings.touch(
            input.agentKey,
            input.event.time_ms,
            createSeenSets,
          )),
    spend: (scope) =>
      memory.spending.touch(
        scope === "peer" ? input.state.baselineKeys.peer : input.agentKey,
        input.event.time_ms,
        createSpendMemory,
      ),
    // Keyed by the peer baseline's key: tenant and kind, already built per agent.
    peerTransitions: () =>
      memory.peerTransitions.touch(
        input.state.baselineKeys.peer,
        input.event.time_ms,
        createPeerTransitions,
      ),
  };
  return input;
}

/**
 * Distinct agents that used the event's credential in the last hour, this one included. Who
 * shares a credential is counted within the tenant (issue 16): another tenant's gateway
 * reporting this credential id must not make it look shared here (framing).
 */
function countCredentialAgents(
  memory: EngineMemory,
  event: CanonicalEvent,
  state: AgentState,
): number {
  const t = event.time_ms;
  const { credential } = event;
  // The key is kept while the agent's credential stays the same: building and hashing a fresh
  // string per event is a measurable share of scoring.
  if (
    state.usersKeyOf !== credential.id ||
    state.usersKeyType !== credential.type
  ) {
    state.usersKeyOf = credential.id;
    state.usersKeyType = credential.type;
    state.usersKey = `${event.tenant}\u0000${credential.type}\u0000${credential.id}`;
  }
  const users = memory.credentialUsers.touch(
    state.usersKey,
    t,
    () => new Map(),
  );
  rememberBounded(users, event.agent.id, t, AGENTS_PER_CREDENTIAL);
  return forgetBefore(users, t - HOUR_MS);
}

/** Every detector's result, weighted by the tenant's policy; undefined when none fired. */
function runDetectors(
  input: DetectorInput,
  tenantPolicy: Policy,
): DetectorResult[] | undefined {
  let raw: DetectorResult[] | undefined;
  for (const detector of DETECTORS) {
    const result = detector(input);
    if (!result || !(result.bits > 0)) continue;
    const weight = tenantPolicy.detectors[result.detector]?.weight ?? 1;
    if (weight <= 0) continue;
    (raw ??= []).push(
      weight === 1 ? result : { ...result, bits: result.bits * weight },
    );
  }
  return raw;
}

/** What scoring needs beyond the event and its state: one object per engine, refilled per event. */
interface Scoring {
  readonly memory: EngineMemory;
  tenantPolicy: Policy;
  cutoffs: Cutoffs;
  halfLifeMs: number;
  baseline: ResolvedBaseline | undefined;
  /** QUIET with each baseline's computation time, made once per baseline model. */
  readonly quiet: WeakMap<BaselineModel, ScoredEvent>;
}

/** The common case, nothing fired: evidence decays and the incident clock still runs. */
function scoreQuiet(state: AgentState, t: number, s: Scoring): ScoredEvent {
  const evidence = accumulateEvidence(state, t, [], s.halfLifeMs);
  if (evidence === 0) state.notes = undefined;
  s.memory.calibration.follow(state, t, evidence);
  admitDecision(state, t, evidence, s.cutoffs.alert, undefined, s.tenantPolicy);
  const model = s.baseline?.model;
  if (!model) return QUIET;
  let quiet = s.quiet.get(model);
  if (!quiet) {
    quiet = Object.freeze({
      ...QUIET,
      baselineComputedAtMs: model.computedAtMs,
    });
    s.quiet.set(model, quiet);
  }
  return quiet;
}

/** Evidence, action and admission for an event some detector spoke on; the decision if due. */
function scoreResults(
  event: CanonicalEvent,
  state: AgentState,
  raw: readonly DetectorResult[],
  s: Scoring,
  decidedAt: string,
): ScoredEvent {
  const t = event.time_ms;
  const { tenantPolicy } = s;
  const { kept, firedRules } = muteDetectors(raw, event, tenantPolicy);
  const evidence = accumulateEvidence(state, t, kept, s.halfLifeMs);
  s.memory.calibration.follow(state, t, evidence);
  const notes = noteResults(state, kept);
  const effective = effectiveCutoffs(
    tenantPolicy,
    s.cutoffs,
    impactBits(event, kept),
  );
  const action = chooseAction(
    evidence,
    effective,
    kept,
    tenantPolicy,
    state.evidence,
  );
  // A revoke is all the way up the ladder, also when a rule (not the evidence) put it there.
  const risk = action === "revoke" ? 1 : riskOf(evidence, effective);
  const base = {
    results: kept,
    risk,
    evidence,
    ...(s.baseline
      ? { baselineComputedAtMs: s.baseline.model.computedAtMs }
      : {}),
  };
  const admission = admitDecision(
    state,
    t,
    evidence,
    effective.alert,
    action,
    tenantPolicy,
  );
  if (admission !== "decide" || !action)
    return { ...base, suppressedBy: firedRules, held: admission === "held" };
  // Suppressed after admission: the incident stays open, so it is counted once, not per event.
  const rule = suppressingRule(action, event, tenantPolicy);
  if (rule)
    return { ...base, suppressedBy: [...firedRules, rule], held: false };
  const decision = buildDecision(
    event,
    state,
    action,
    risk,
    notes,
    effective,
    decidedAt,
  );
  if (action === "revoke")
    rememberRevocation(s.memory, event, decision.credential_ids ?? []);
  return { ...base, suppressedBy: firedRules, held: false, decision };
}

/** The revoked credentials, so a later use shows the revocation did not hold. */
function rememberRevocation(
  memory: EngineMemory,
  event: CanonicalEvent,
  credentialIds: readonly string[],
): void {
  const t = event.time_ms;
  for (const id of credentialIds) {
    const key = `${event.credential.type}\u0000${id}`;
    if (memory.revoked.get(key)) continue;
    memory.revoked.touch(key, t, () => t);
    share(memory, {
      kind: "revoked",
      type: event.credential.type,
      id,
      atMs: t,
    });
  }
}

/** The pure scoring core: per-agent state, detectors, risk, policy. No I/O. */
export function createScoringEngine(options: EngineOptions): ScoringEngine {
  const { limits } = options;
  let policy = options.policy;
  const layout = createWindowLayout(limits.burstWindowMs);
  const baselines = createBaselineIndex();
  const memory = createEngineMemory(options);
  const { agents, revoked, calibration } = memory;
  const input = createDetectorInput(memory, limits, layout, baselines, policy);
  const scoring: Scoring = {
    memory,
    tenantPolicy: policy,
    cutoffs: undefined as unknown as Cutoffs,
    halfLifeMs: 0,
    baseline: undefined,
    quiet: new WeakMap(),
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
    takeFacts() {
      const { outbox } = memory;
      if (!outbox || outbox.facts.length === 0) return [];
      const facts = outbox.facts;
      outbox.facts = [];
      return facts;
    },
    get droppedFacts() {
      return memory.outbox?.dropped ?? 0;
    },
    learnFact: (fact) => learnFact(memory, fact),
    observe(event, decidedAt) {
      const t = event.time_ms;
      const tenantPolicy = policyFor(policy, event.tenant);
      const key = `${event.tenant}\u0000${event.agent.id}`;
      const state = agents.touch(key, t, () => createAgentState(layout, event));
      if (memory.outbox)
        shareUse(memory, event, state.credentials.get(event.credential.id));
      recordEvent(layout, state, event);
      const baseline = baselines.resolve(state.baselineKeys);
      input.event = event;
      input.state = state;
      input.agentKey = key;
      input.agentSeen = undefined;
      input.baseline = baseline;
      input.credentialAgents = countCredentialAgents(memory, event, state);
      input.denyRules = policy.denyRules;
      input.revokedAtMs =
        revoked.size === 0
          ? undefined
          : revoked.get(`${event.credential.type}\u0000${event.credential.id}`);
      const raw = runDetectors(input, tenantPolicy);
      // The group's own history is asked only where a cut-off is used: evidence or an incident.
      const cutoffs = calibration.cutoffs(
        tenantPolicy,
        cutoffsFor(tenantPolicy, baseline?.model),
        state,
        raw !== undefined || state.incident !== undefined,
      );
      scoring.tenantPolicy = tenantPolicy;
      scoring.cutoffs = cutoffs;
      scoring.halfLifeMs = tenantPolicy.evidenceHalfLifeSeconds * 1000;
      scoring.baseline = baseline;
      return raw
        ? scoreResults(event, state, raw, scoring, decidedAt)
        : scoreQuiet(state, t, scoring);
    },
  };
}
