import type { CanonicalEvent, Vocabulary } from "@warden/shared";
import type { AgentState, WindowLayout } from "../agent-state.js";
import { rememberBounded } from "../bounded.js";
import type { ResolvedBaseline } from "../baseline-index.js";
import type { DenyRule } from "./rules.js";

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
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

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
}

/** One detector's verdict on one event: a score in [0, 1] and one sentence saying why. */
export interface DetectorResult {
  readonly detector: DetectorName;
  readonly score: number;
  readonly summary: string;
  readonly observed: number | string;
  readonly expected: number | string;
}

/** Returns undefined when it has nothing to say (score 0). */
export type Detector = (input: DetectorInput) => DetectorResult | undefined;

export function clamp01(value: number): number {
  if (!(value > 0)) return 0;
  return value >= 1 ? 1 : value;
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

/** Flags `dimension:value` once per agent; false when it was already flagged. */
export function flagOnce(
  input: DetectorInput,
  dimension: string,
  value: string,
  cap: number,
): boolean {
  const key = `${dimension}:${value}`;
  if (input.state.flagged.has(key)) return false;
  rememberBounded(input.state.flagged, key, input.event.time_ms, cap);
  return true;
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
