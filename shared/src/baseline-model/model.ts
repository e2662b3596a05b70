/**
 * The baseline model, version 1: what is normal for one agent, one peer group (agents of
 * one kind in a tenant) or one tenant. The baseline service computes it from ClickHouse and
 * publishes it to the NATS KV bucket `warden-baselines`; detectors read it (see keys.ts for
 * the key layout and codec.ts for the compact wire form, documented in README.md beside it).
 *
 * No runtime dependencies, so any workspace can import it.
 */

export const BASELINE_FORMAT_VERSION = 1;

/** Robust statistics of one distribution. All zero when it had no samples. */
export interface RobustStats {
  readonly median: number;
  /** Median absolute deviation from the median (unscaled). */
  readonly mad: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export const EMPTY_STATS: RobustStats = Object.freeze({
  median: 0,
  mad: 0,
  p95: 0,
  p99: 0,
  max: 0,
});

/** The most frequent values of one field, and how many there were in all. */
export interface Vocabulary {
  /** Distinct values seen in the window (may exceed `top.length`). */
  readonly distinct: number;
  /** Events (or scope entries, for scopes) that carried a value. */
  readonly total: number;
  /** `[value, count]`, most frequent first; ties by value. */
  readonly top: readonly (readonly [string, number])[];
}

export const VOCABULARY_DIMENSIONS = [
  "actions",
  "verbs",
  "resources",
  "resourceTypes",
  "sensitivities",
  "sourceIps",
  "gateways",
  "instances",
  "credentials",
  "scopes",
  "delegationParents",
] as const;
export type VocabularyDimension = (typeof VOCABULARY_DIMENSIONS)[number];

export type BaselineScope =
  | {
      readonly level: "agent";
      readonly tenant: string;
      readonly agentId: string;
      /** The agent's kind (its peer group); empty when the gateway sent none. */
      readonly agentKind: string;
    }
  | {
      readonly level: "peer";
      readonly tenant: string;
      readonly agentKind: string;
    }
  | { readonly level: "tenant"; readonly tenant: string };

export type BaselineLevel = BaselineScope["level"];

export interface BaselineHistory {
  /** Distinct events in the window. */
  readonly events: number;
  /** Distinct agents that contributed (1 for an agent baseline). */
  readonly agents: number;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** Minutes (per agent) with at least one call. */
  readonly activeMinutes: number;
  /** Hours (per agent) with at least one call. */
  readonly activeHours: number;
}

/**
 * Idle stretches of one agent: hours from one active hour to the next, counted only when at
 * least one whole hour without calls lies between (for a peer group or tenant, its agents'
 * stretches pooled). What "long silent" means for this agent (dormant-identity detector).
 */
export interface IdleGaps {
  readonly stats: RobustStats;
  /** Stretches in the window. */
  readonly count: number;
}

export interface BaselineModel {
  readonly version: typeof BASELINE_FORMAT_VERSION;
  readonly scope: BaselineScope;
  readonly computedAtMs: number;
  /** The window the statistics cover: [windowStartMs, windowEndMs). */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly history: BaselineHistory;
  /**
   * The history met the service's minimum (events and span). Detectors should fall back to
   * the peer group, then the tenant, while an agent's baseline is not trusted.
   */
  readonly trusted: boolean;
  /** Calls per active minute of one agent (minutes without calls are not samples). */
  readonly ratePerMinute: RobustStats;
  /** Calls per active hour of one agent. */
  readonly ratePerHour: RobustStats;
  /**
   * Mean calls per hour for each hour of the week (index 0 = Monday 00:00–01:00 UTC,
   * 167 = Sunday 23:00), present only when the activity is periodic: agents active around
   * the clock get null, so off-hours logic never fires on them.
   */
  readonly hourOfWeek: readonly number[] | null;
  /** Bit h set when there was a call during UTC hour h of some day in the window. */
  readonly activeHoursOfDay: number;
  readonly bytesPerCall: RobustStats;
  /** Bytes out per active hour of one agent. */
  readonly bytesPerHour: RobustStats;
  readonly bytesPerCallByVerb: Readonly<Record<string, RobustStats>>;
  readonly bytesPerCallBySensitivity: Readonly<Record<string, RobustStats>>;
  /** Fractions of calls, in [0, 1]. */
  readonly deniedRate: number;
  readonly errorRate: number;
  readonly maxChainDepth: number;
  readonly vocabulary: Readonly<Record<VocabularyDimension, Vocabulary>>;
  /** Absent in baselines computed before it existed (format 1 adds fields only as optional). */
  readonly idleGaps?: IdleGaps;
}

export const HOURS_PER_WEEK = 168;
export const ALL_HOURS_OF_DAY = 0xffffff;
