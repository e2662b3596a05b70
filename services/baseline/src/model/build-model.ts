import {
  BASELINE_FORMAT_VERSION,
  EMPTY_STATS,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
  type BaselineModel,
  type BaselineScope,
  type RobustStats,
  type Vocabulary,
  type VocabularyDimension,
} from "@warden/shared";
import type { ModelSettings } from "../config.js";

/**
 * The pure core of the baseline: aggregates of one scope (computed by ClickHouse, or by
 * anything else that can count) → the published model. It decides trust (minimum history),
 * periodicity (hour-of-week profile or none), and keeps the model compact.
 */

export interface VocabularyRow {
  readonly dimension: string;
  readonly distinct: number;
  readonly total: number;
  readonly top: readonly (readonly [string, number])[];
}

export interface ScopeAggregates {
  readonly scope: BaselineScope;
  readonly events: number;
  readonly agents: number;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly denied: number;
  readonly errors: number;
  readonly maxChainDepth: number;
  /** Bit h set when some event fell in UTC hour h of a day. */
  readonly activeHoursOfDay: number;
  readonly activeMinutes: number;
  readonly activeHours: number;
  readonly ratePerMinute: RobustStats | undefined;
  readonly ratePerHour: RobustStats | undefined;
  readonly bytesPerCall: RobustStats | undefined;
  readonly bytesPerHour: RobustStats | undefined;
  readonly bytesPerCallByVerb: Readonly<Record<string, RobustStats>>;
  readonly bytesPerCallBySensitivity: Readonly<Record<string, RobustStats>>;
  readonly vocabularies: readonly VocabularyRow[];
  /** `[hour of week, calls]` summed over the window's agents; null when there are none. */
  readonly hourOfWeekCalls: readonly (readonly [number, number])[] | null;
  /** Hours between consecutive active hours of one agent, when over 1 (pooled for groups). */
  readonly idleGaps?: { readonly stats: RobustStats; readonly count: number };
}

const HOUR_MS = 3_600_000;
const HOURS_PER_DAY = 24;

/** Three decimals: enough for rates and bytes, and keeps the wire form short. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function roundStats(stats: RobustStats | undefined): RobustStats {
  if (stats === undefined) return EMPTY_STATS;
  return {
    median: round(stats.median),
    mad: round(stats.mad),
    p95: round(stats.p95),
    p99: round(stats.p99),
    max: round(stats.max),
  };
}

function roundStatsMap(
  map: Readonly<Record<string, RobustStats>>,
): Record<string, RobustStats> {
  return Object.fromEntries(
    Object.entries(map).map(([key, stats]) => [key, roundStats(stats)]),
  );
}

export function bitCount(mask: number): number {
  let count = 0;
  for (let bits = mask >>> 0; bits !== 0; bits &= bits - 1) count += 1;
  return count;
}

/**
 * An hour of the day is quiet when it has under this share of the busiest hour's calls: a
 * business-hours agent still trickles a few calls at night (retries, a stray user), and those
 * must not make it look 24/7.
 */
export const QUIET_HOUR_SHARE = 0.05;

/** Calls per hour of the day (0–23, UTC), summed over the hour-of-week slots. */
export function callsByHourOfDay(
  slots: readonly (readonly [number, number])[],
): number[] {
  const calls = new Array<number>(HOURS_PER_DAY).fill(0);
  for (const [index, count] of slots)
    if (index >= 0 && index < HOURS_PER_WEEK) {
      const hour = index % HOURS_PER_DAY;
      calls[hour] = (calls[hour] ?? 0) + count;
    }
  return calls;
}

/** Periodic activity leaves some hours of the day quiet; 24/7 agents are not periodic. */
export function isPeriodic(
  slots: readonly (readonly [number, number])[],
  minQuietHours: number,
): boolean {
  const calls = callsByHourOfDay(slots);
  const busiest = Math.max(...calls);
  if (busiest <= 0) return false;
  const quiet = calls.filter((count) => count < QUIET_HOUR_SHARE * busiest);
  return quiet.length >= minQuietHours;
}

/** Index of the hour of the week (0 = Monday 00:00 UTC) that `timeMs` falls in. */
export function hourOfWeekIndex(timeMs: number): number {
  const date = new Date(timeMs);
  return ((date.getUTCDay() + 6) % 7) * HOURS_PER_DAY + date.getUTCHours();
}

/** How many times each hour of the week starts within [fromMs, toMs), the first hour included. */
export function hourOfWeekOccurrences(fromMs: number, toMs: number): number[] {
  const occurrences = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (
    let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
    hour < toMs;
    hour += HOUR_MS
  ) {
    const index = hourOfWeekIndex(hour);
    occurrences[index] = (occurrences[index] ?? 0) + 1;
  }
  return occurrences;
}

/** Mean calls per agent in each hour of the week, over the hours the scope was observed. */
export function hourOfWeekProfile(
  slots: readonly (readonly [number, number])[],
  fromMs: number,
  toMs: number,
  agents: number,
): number[] {
  const occurrences = hourOfWeekOccurrences(fromMs, toMs);
  const calls = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (const [index, count] of slots)
    if (index >= 0 && index < HOURS_PER_WEEK)
      calls[index] = (calls[index] ?? 0) + count;
  return calls.map((total, index) => {
    const seen = (occurrences[index] ?? 0) * Math.max(1, agents);
    return seen === 0 ? 0 : round(total / seen);
  });
}

function vocabularies(
  rows: readonly VocabularyRow[],
  top: number,
): Record<VocabularyDimension, Vocabulary> {
  const byDimension = new Map(rows.map((row) => [row.dimension, row]));
  return Object.fromEntries(
    VOCABULARY_DIMENSIONS.map((dimension) => {
      const row = byDimension.get(dimension);
      const vocabulary: Vocabulary = row
        ? {
            distinct: row.distinct,
            total: row.total,
            top: [...row.top]
              .sort(
                (a, b) =>
                  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
              )
              .slice(0, top),
          }
        : { distinct: 0, total: 0, top: [] };
      return [dimension, vocabulary];
    }),
  ) as Record<VocabularyDimension, Vocabulary>;
}

export function buildModel(
  aggregates: ScopeAggregates,
  context: {
    readonly computedAtMs: number;
    readonly windowStartMs: number;
    readonly windowEndMs: number;
    readonly settings: ModelSettings;
  },
): BaselineModel {
  const { settings } = context;
  const a = aggregates;
  const trusted =
    a.events >= settings.minHistoryEvents &&
    a.lastSeenMs - a.firstSeenMs >= settings.minHistorySpanMs;
  const periodic =
    trusted &&
    a.hourOfWeekCalls !== null &&
    isPeriodic(a.hourOfWeekCalls, settings.minQuietHours);
  const calls = Math.max(1, a.events);
  return {
    version: BASELINE_FORMAT_VERSION,
    scope: a.scope,
    computedAtMs: context.computedAtMs,
    windowStartMs: context.windowStartMs,
    windowEndMs: context.windowEndMs,
    history: {
      events: a.events,
      agents: a.agents,
      firstSeenMs: a.firstSeenMs,
      lastSeenMs: a.lastSeenMs,
      activeMinutes: a.activeMinutes,
      activeHours: a.activeHours,
    },
    trusted,
    ratePerMinute: roundStats(a.ratePerMinute),
    ratePerHour: roundStats(a.ratePerHour),
    hourOfWeek: periodic
      ? hourOfWeekProfile(
          a.hourOfWeekCalls ?? [],
          Math.max(context.windowStartMs, a.firstSeenMs),
          context.windowEndMs,
          a.agents,
        )
      : null,
    activeHoursOfDay: a.activeHoursOfDay & 0xffffff,
    bytesPerCall: roundStats(a.bytesPerCall),
    bytesPerHour: roundStats(a.bytesPerHour),
    bytesPerCallByVerb: roundStatsMap(a.bytesPerCallByVerb),
    bytesPerCallBySensitivity: roundStatsMap(a.bytesPerCallBySensitivity),
    deniedRate: round(Math.min(1, a.denied / calls)),
    errorRate: round(Math.min(1, a.errors / calls)),
    maxChainDepth: a.maxChainDepth,
    vocabulary: vocabularies(a.vocabularies, settings.vocabularyTop),
    ...(a.idleGaps
      ? {
          idleGaps: {
            stats: roundStats(a.idleGaps.stats),
            count: a.idleGaps.count,
          },
        }
      : {}),
  };
}
