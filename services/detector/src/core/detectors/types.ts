import type {
  CanonicalEvent,
  Vocabulary,
  VocabularyDimension,
} from "@warden/shared";
import type { AgentState, WindowLayout } from "../agent-state.js";
import { rememberBounded } from "../bounded.js";
import type { BaselineIndex, ResolvedBaseline } from "../baseline-index.js";
import { sight, type SeenSets } from "../seen.js";
import type { TransitionMemory } from "../transitions.js";
import { noveltyBits, SEEN, type Novelty } from "../evidence.js";
import type { DenyRule } from "./rules.js";
import type { SpendMemory } from "./spend.js";

export const DETECTOR_NAMES = [
  "burst",
  "rate_spike",
  "novel_action",
  "novel_resource",
  "volume_exfil",
  "privilege_escalation",
  "credential_misuse",
  "denied_probing",
  "delegation_anomaly",
  "off_hours",
  "slow_drift",
  "deny_rule",
  "control_plane",
  "counterparty_novelty",
  "credential_context",
  "client_novelty",
  "destructive_burst",
  "credential_lifetime",
  "dormant_identity",
  "transition_novelty",
  "llm_spend",
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * How a detector's evidence builds up within an incident (engine.ts): "sum" for detectors that
 * report each distinct new fact once (a new tool, a new payee: two of them are twice the
 * evidence), "max" for those that re-measure one running condition on every event (the calls
 * this minute, the bytes this hour), whose repeated reports are one fact.
 */
export type Accumulation = "sum" | "max";

/** Each detector's family (evidence.ts: correlated detectors share one) and accumulation. */
export const DETECTOR_TRAITS: Readonly<
  Record<
    DetectorName,
    { readonly family: string; readonly accumulate: Accumulation }
  >
> = {
  burst: { family: "activity", accumulate: "max" },
  rate_spike: { family: "activity", accumulate: "max" },
  destructive_burst: { family: "activity", accumulate: "max" },
  novel_action: { family: "novelty", accumulate: "sum" },
  novel_resource: { family: "novelty", accumulate: "sum" },
  transition_novelty: { family: "novelty", accumulate: "sum" },
  privilege_escalation: { family: "novelty", accumulate: "sum" },
  control_plane: { family: "control_plane", accumulate: "sum" },
  counterparty_novelty: { family: "counterparty", accumulate: "sum" },
  volume_exfil: { family: "activity", accumulate: "max" },
  slow_drift: { family: "activity", accumulate: "max" },
  credential_lifetime: { family: "credential", accumulate: "max" },
  credential_misuse: { family: "credential", accumulate: "max" },
  credential_context: { family: "credential", accumulate: "max" },
  client_novelty: { family: "client", accumulate: "sum" },
  denied_probing: { family: "probing", accumulate: "max" },
  delegation_anomaly: { family: "delegation", accumulate: "max" },
  off_hours: { family: "temporal", accumulate: "max" },
  dormant_identity: { family: "temporal", accumulate: "max" },
  deny_rule: { family: "rule", accumulate: "max" },
  llm_spend: { family: "spend", accumulate: "max" },
};

export const DETECTOR_INDEX: Readonly<Record<DetectorName, number>> =
  Object.fromEntries(DETECTOR_NAMES.map((name, i) => [name, i])) as Record<
    DetectorName,
    number
  >;

/** Absolute limits used when there is no baseline, and the burst rule's settings. */
export interface DetectorLimits {
  /** Calls allowed per burst window without a baseline (DETECTOR_BURST_MAX_CALLS). */
  readonly burstMaxCalls: number;
  readonly burstWindowMs: number;
  /** With a baseline: the limit is this many times the agent's busiest minute (p99 or max). */
  readonly burstBaselineFactor: number;
  /** With a baseline: never below this many calls per window. */
  readonly burstMinCalls: number;
  /** Bytes out per hour that is suspicious without a baseline. */
  readonly fallbackBytesPerHour: number;
  /** Delegation depth that is suspicious without a baseline. */
  readonly fallbackMaxChainDepth: number;
}

export const DEFAULT_DETECTOR_LIMITS: DetectorLimits = {
  burstMaxCalls: 100,
  burstWindowMs: 10_000,
  // More calls in one burst window than in the agent's busiest whole minute of the baseline
  // window: a loop at 4 calls/s crosses it within 4–5 s (the 5 s goal).
  burstBaselineFactor: 1,
  burstMinCalls: 16,
  fallbackBytesPerHour: 1024 ** 3,
  fallbackMaxChainDepth: 5,
};

export interface DetectorInput {
  readonly event: CanonicalEvent;
  /** The agent's state, already updated with `event`. */
  readonly state: AgentState;
  readonly layout: WindowLayout;
  readonly baseline: ResolvedBaseline | undefined;
  readonly limits: DetectorLimits;
  /** Distinct agents that used this event's credential in the last hour (this one included). */
  readonly credentialAgents: number;
  /** The policy's static deny-list. */
  readonly denyRules: readonly DenyRule[];
  /** Every baseline by key: peer tempering and the delegation root's history. */
  readonly baselines: BaselineIndex;
  /**
   * The agent's counterparties and clients seen (seen.ts), kept apart from its state and far
   * longer (an agent that pays once a day is idle in between), created on first use; with
   * "peer", those of its peer group (the tenant's agents of its kind).
   */
  readonly seen: (scope?: "agent" | "peer") => SeenSets;
  /** The transitions of the agent's peer group (its tenant and kind), created on first use. */
  readonly peerTransitions: () => TransitionMemory;
  /**
   * The agent's spend memory (detectors/spend.ts), kept apart from its state and as long as its
   * sightings; with "peer", its peer group's. Created on first use, so an agent that never
   * reports `usage` costs nothing. Absent in hosts that do not judge spend.
   */
  readonly spend?: (scope: "agent" | "peer") => SpendMemory;
  /** Event time Warden revoked this event's credential, if it did (engine.ts). */
  readonly revokedAtMs: number | undefined;
}

/**
 * One detector's verdict on one event: its evidence in bits of surprise (evidence.ts) and one
 * sentence saying why, with the observed and expected values.
 */
export interface DetectorResult {
  readonly detector: DetectorName;
  readonly bits: number;
  /** Stakes of the act itself in bits (risk.ts), when the detector knows them (the catalogue). */
  readonly impact?: number;
  /** MITRE ATT&CK / ATLAS technique ids, when the detector maps to them. */
  readonly techniques?: readonly string[];
  readonly summary: string;
  readonly observed: number | string;
  readonly expected: number | string;
}

/** Returns undefined when it has nothing to say (0 bits). */
export type Detector = (input: DetectorInput) => DetectorResult | undefined;

/** The resolved baseline's vocabulary of one field, or undefined without a baseline. */
function vocabularyOf(
  baseline: ResolvedBaseline | undefined,
  dimension: VocabularyDimension,
): Vocabulary | undefined {
  return baseline?.model.vocabulary[dimension];
}

/**
 * Novelty of `value` in the agent's history, tempered by its peers': a value new for the agent
 * that its peer group uses is only as surprising as it is among the peers (agents of one kind
 * pick up each other's tools).
 */
export function temperedNovelty(
  input: DetectorInput,
  dimension: VocabularyDimension,
  value: string,
): { readonly status: Novelty; readonly bits: number } {
  // A tenant's history mixes every kind of agent: what is new to it says little about a new
  // identity, whose own kind has no history yet (judged by limits, not novelty).
  if (input.baseline?.level === "tenant") return SEEN;
  const vocabulary = vocabularyOf(input.baseline, dimension);
  if (!vocabulary) return SEEN;
  const own = noveltyBits(vocabulary, value);
  if (own.status === "seen" || input.baseline?.level !== "agent") return own;
  const peer = input.baselines.get(input.state.baselineKeys.peer);
  if (!peer?.trusted) return own;
  const theirs = noveltyBits(peer.vocabulary[dimension], value);
  return theirs.bits < own.bits
    ? { status: own.status, bits: theirs.bits }
    : own;
}

/**
 * Whether `value` is in a baseline vocabulary: "seen"; "new" when the vocabulary lists every
 * distinct value and not this one; "rare" when the list is truncated and it is not in it.
 */
export function vocabularyStatus(
  vocabulary: Vocabulary,
  value: string,
): "seen" | "new" | "rare" {
  for (const [known] of vocabulary.top) if (known === value) return "seen";
  return vocabulary.distinct > vocabulary.top.length ? "rare" : "new";
}

/**
 * Flags `dimension:value` once per agent; false when it was already flagged. The agent state's
 * list goes with the state after idle eviction, so the flag is also kept in the seen-sets
 * memory (weeks): an agent that works every few hours is told "first use" once, not each job.
 */
export function flagOnce(
  input: DetectorInput,
  dimension: string,
  value: string,
  cap: number,
): boolean {
  const key = `${dimension}:${value}`;
  const flagged = (input.state.flagged ??= new Map<string, number>());
  if (flagged.has(key)) return false;
  rememberBounded(flagged, key, input.event.time_ms, cap);
  return !sight(input.seen(), "flag", key).known;
}

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return NUMBER.format(value);
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${NUMBER.format(value)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  return ms % 60_000 === 0
    ? `${ms / 60_000} min`
    : `${NUMBER.format(ms / 1000)} s`;
}
