import {
  baselineKey,
  EMPTY_STATS,
  type BaselineScope,
  type CanonicalEvent,
  type RobustStats,
  type VocabularyDimension,
  VOCABULARY_DIMENSIONS,
} from "@warden/shared";
import type { ScopeAggregates, VocabularyRow } from "./build-model.js";
import { OrderedSample, robustStatsOf } from "./ordered-sample.js";

/**
 * The baseline's aggregates kept in memory, for hosts without ClickHouse at hand (replay): the
 * same aggregates per agent, peer group and tenant as the SQL (../store/baseline-queries.ts),
 * vocabularies in the same order, updated event by event (test/baseline-parity.test.ts builds
 * models both ways from the same events and finds them identical). Every update has an exact inverse
 * (`remove` undoes `add` of the same event), so the window slides by removing what fell out
 * of it. Rates and volumes are per agent-minute and agent-hour at every level, as in the SQL.
 *
 * One deliberate difference, at the window's trailing edge: an hour bucket holds only the
 * events still in the window, where the SQL keeps the whole first hour (the same when the
 * window starts on the hour). First-seen is kept per minute (the earliest time of each active
 * minute), so it is exact whenever whole minutes leave the window, as they do at a refresh
 * tick; a min cannot be undone within a minute without keeping every time stamp.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

type Extracted = Exclude<VocabularyDimension, "scopes">;

/** The value an event contributes to each vocabulary (empty ones are not counted, as in SQL). */
const VALUE_OF: Readonly<
  Record<Extracted, (event: CanonicalEvent) => string | undefined>
> = {
  actions: (event) => event.action.name,
  verbs: (event) => event.action.verb,
  resources: (event) => event.resource?.id,
  resourceTypes: (event) => event.resource?.type,
  sensitivities: (event) => event.resource?.sensitivity,
  sourceIps: (event) => event.source?.ip,
  gateways: (event) => event.source?.gateway,
  instances: (event) => event.agent.instance,
  credentials: (event) => event.credential.id,
  delegationParents: (event) => {
    const chain = event.delegation;
    return chain.length >= 2 ? chain[chain.length - 2] : undefined;
  },
};

/** The model's dimension order (VOCABULARY_DIMENSIONS), the one the SQL lists them in. */
const DIMENSIONS = VOCABULARY_DIMENSIONS;
const SCOPES_DIMENSION = DIMENSIONS.indexOf("scopes");
/** Per dimension index: its value's extractor (none for scopes, an array). */
const EXTRACTORS = DIMENSIONS.map((dimension) =>
  dimension === "scopes" ? undefined : VALUE_OF[dimension],
);

/**
 * Per-agent-minute and per-agent-hour sums of one agent (as one kind), and the three scopes
 * its events count in (kept while the agent has events, so they are looked up once).
 */
interface AgentBuckets {
  readonly scopes: readonly ScopeHistory[];
  readonly callsPerMinute: Map<number, number>;
  readonly callsPerHour: Map<number, number>;
  readonly bytesPerHour: Map<number, number>;
  /** Its idle stretches (idleGapsOf), until its set of active hours changes. */
  idleGaps: number[] | undefined;
}

class ScopeHistory {
  scope: BaselineScope;
  readonly key: string;
  events = 0;
  denied = 0;
  errors = 0;
  lastSeenMs = -Infinity;
  /** Per active minute: its calls and earliest time, for first-seen after removals. */
  readonly minutes = new Map<number, { calls: number; firstMs: number }>();
  readonly agents = new Map<string, number>();
  readonly depths = new Map<number, number>();
  /**
   * Calls per hour of the week, only the hours with calls: most agents are active a few hours,
   * and a dense 168-slot array per scope is most of a short-lived agent's memory. The active
   * hours of the day are read off these keys (the same events count in both).
   */
  readonly hourOfWeekCalls = new Map<number, number>();
  readonly callsPerMinute = new OrderedSample();
  readonly callsPerHour = new OrderedSample();
  readonly bytesPerHour = new OrderedSample();
  readonly bytesPerCall = new OrderedSample();
  readonly bytesByVerb = new Map<string, OrderedSample>();
  readonly bytesBySensitivity = new Map<string, OrderedSample>();
  /** Per dimension, its value counts; created on a dimension's first value. */
  readonly vocabularies: (Map<string, number> | undefined)[] = DIMENSIONS.map(
    () => undefined,
  );

  constructor(scope: BaselineScope) {
    this.scope = scope;
    this.key = baselineKey(scope);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

function bumpNumber(map: Map<number, number>, key: number, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

function sampleIn(map: Map<string, OrderedSample>, key: string): OrderedSample {
  let sample = map.get(key);
  if (!sample) map.set(key, (sample = new OrderedSample()));
  return sample;
}

function vocabulary(
  history: ScopeHistory,
  dimension: number,
): Map<string, number> {
  let counts = history.vocabularies[dimension];
  if (!counts) history.vocabularies[dimension] = counts = new Map();
  return counts;
}

/** Moves one agent-bucket sum from `before` to `after` in a sample (0 = no sample). */
function moveSum(sample: OrderedSample, before: number, after: number): void {
  if (before > 0) sample.remove(before);
  if (after > 0) sample.insert(after);
}

/** Keeps the `top` most frequent values, most frequent first, ties by value (the SQL's order). */
function topValues(
  counts: ReadonlyMap<string, number>,
  top: number,
): [string, number][] {
  const kept: [string, number][] = [];
  const before = (a: [string, number], b: [string, number]): boolean =>
    a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of counts) {
    if (kept.length === top && !before(entry, kept[top - 1] as never)) continue;
    let at = kept.length;
    while (at > 0 && before(entry, kept[at - 1] as never)) at--;
    kept.splice(at, 0, entry);
    if (kept.length > top) kept.pop();
  }
  return kept;
}

function countMinute(
  minutes: Map<number, { calls: number; firstMs: number }>,
  minute: number,
  timeMs: number,
  sign: 1 | -1,
): void {
  const entry = minutes.get(minute);
  if (!entry) {
    if (sign > 0) minutes.set(minute, { calls: 1, firstMs: timeMs });
    return;
  }
  entry.calls += sign;
  if (entry.calls <= 0) minutes.delete(minute);
  else if (sign > 0 && timeMs < entry.firstMs) entry.firstMs = timeMs;
}

/** The earliest time of the earliest active minute (never before the window's start). */
function firstSeen(
  minutes: ReadonlyMap<number, { firstMs: number }>,
  windowStartMs: number,
): number {
  let first = Infinity;
  for (const { firstMs } of minutes.values())
    if (firstMs < first) first = firstMs;
  return Math.max(first, windowStartMs);
}

export interface HistoryWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface AggregateOptions {
  readonly vocabularyTop: number;
}

/** Every scope's history; `add` and `remove` keep it equal to the events in the window. */
export interface EventHistory {
  add(event: CanonicalEvent): void;
  remove(event: CanonicalEvent): void;
  /** The scope's aggregates over what was added and not removed; undefined when it has none. */
  aggregates(
    key: string,
    window: HistoryWindow,
    options: AggregateOptions,
  ): ScopeAggregates | undefined;
  readonly scopes: number;
}

export function createEventHistory(): EventHistory {
  const scopes = new Map<string, ScopeHistory>();
  const buckets = new Map<string, AgentBuckets>();

  function scopesOf(event: CanonicalEvent): readonly ScopeHistory[] {
    const { tenant } = event;
    const agentKind = event.agent.kind ?? "";
    const wanted: BaselineScope[] = [
      { level: "agent", tenant, agentId: event.agent.id, agentKind },
      { level: "peer", tenant, agentKind },
      { level: "tenant", tenant },
    ];
    return wanted.map((scope) => {
      const key = baselineKey(scope);
      let history = scopes.get(key);
      if (!history) scopes.set(key, (history = new ScopeHistory(scope)));
      return history;
    });
  }

  function update(event: CanonicalEvent, sign: 1 | -1): void {
    const t = event.time_ms;
    const bytes = Math.max(0, Math.floor(event.bytes_out ?? 0));
    const depth = Math.min(255, Math.max(0, Math.floor(event.chain_depth)));
    const minute = Math.floor(t / MINUTE_MS);
    const hour = Math.floor(t / HOUR_MS);
    const hourOfDay = hour % 24;
    // Day 0 of the epoch was a Thursday; index 0 is Monday 00:00 UTC.
    const hourOfWeek = ((Math.floor(hour / 24) + 3) % 7) * 24 + hourOfDay;
    const bucketKey = `${event.tenant}\u0000${event.agent.id}\u0000${event.agent.kind ?? ""}`;
    let agentBuckets = buckets.get(bucketKey);
    if (!agentBuckets)
      buckets.set(
        bucketKey,
        (agentBuckets = {
          scopes: scopesOf(event),
          callsPerMinute: new Map(),
          callsPerHour: new Map(),
          bytesPerHour: new Map(),
          idleGaps: undefined,
        }),
      );
    const minuteBefore = agentBuckets.callsPerMinute.get(minute) ?? 0;
    const hourBefore = agentBuckets.callsPerHour.get(hour) ?? 0;
    const hourBytesBefore = agentBuckets.bytesPerHour.get(hour) ?? 0;
    const hourBytesAfter = hourBytesBefore + sign * bytes;
    bumpNumber(agentBuckets.callsPerMinute, minute, sign);
    bumpNumber(agentBuckets.callsPerHour, hour, sign);
    if (hourBefore === 0 || hourBefore + sign === 0)
      agentBuckets.idleGaps = undefined;
    if (hourBefore + sign > 0)
      agentBuckets.bytesPerHour.set(hour, hourBytesAfter);
    else agentBuckets.bytesPerHour.delete(hour);
    if (agentBuckets.callsPerMinute.size === 0) buckets.delete(bucketKey);
    const own = agentBuckets.scopes[0] as ScopeHistory;
    const kind = event.agent.kind ?? "";
    // The SQL's anyLast(agent_kind): the agent's newest kind names its scope.
    if (sign > 0 && own.scope.level === "agent" && own.scope.agentKind !== kind)
      own.scope = { ...own.scope, agentKind: kind };

    const values = EXTRACTORS.map((extract) => extract?.(event));
    const sensitivity = event.resource?.sensitivity ?? "";
    for (const history of agentBuckets.scopes) {
      history.events += sign;
      if (event.outcome === "denied") history.denied += sign;
      if (event.outcome === "error") history.errors += sign;
      if (sign > 0) history.lastSeenMs = Math.max(history.lastSeenMs, t);
      countMinute(history.minutes, minute, t, sign);
      bump(history.agents, event.agent.id, sign);
      bumpNumber(history.depths, depth, sign);
      bumpNumber(history.hourOfWeekCalls, hourOfWeek, sign);
      moveSum(history.callsPerMinute, minuteBefore, minuteBefore + sign);
      moveSum(history.callsPerHour, hourBefore, hourBefore + sign);
      moveSum(
        history.bytesPerHour,
        hourBefore > 0 ? hourBytesBefore + 1 : 0,
        hourBefore + sign > 0 ? hourBytesAfter + 1 : 0,
      );
      const perCall = [
        history.bytesPerCall,
        sampleIn(history.bytesByVerb, event.action.verb),
        sampleIn(history.bytesBySensitivity, sensitivity),
      ];
      for (const sample of perCall)
        if (sign > 0) sample.insert(bytes);
        else sample.remove(bytes);
      values.forEach((value, dimension) => {
        if (value) bump(vocabulary(history, dimension), value, sign);
      });
      for (const scope of event.credential.scopes ?? [])
        if (scope) bump(vocabulary(history, SCOPES_DIMENSION), scope, sign);
      if (history.events === 0) scopes.delete(history.key);
    }
  }

  return {
    add: (event) => update(event, 1),
    remove: (event) => update(event, -1),
    get scopes() {
      return scopes.size;
    },
    aggregates(key, window, options) {
      const history = scopes.get(key);
      if (!history) return undefined;
      let mask = 0;
      const slots: [number, number][] = [];
      for (const [index, calls] of history.hourOfWeekCalls) {
        mask |= 1 << (index % 24);
        slots.push([index, calls]);
      }
      slots.sort((a, b) => a[0] - b[0]);
      const statsMap = (
        map: Map<string, OrderedSample>,
      ): Record<string, RobustStats> => {
        const result: Record<string, RobustStats> = {};
        for (const [key, sample] of [...map].sort((a, b) =>
          a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
        )) {
          const stats = robustStatsOf(sample);
          if (stats) result[key] = stats;
        }
        return result;
      };
      const vocabularies: VocabularyRow[] = [];
      history.vocabularies.forEach((counts, index) => {
        if (!counts || counts.size === 0) return;
        let total = 0;
        for (const count of counts.values()) total += count;
        vocabularies.push({
          dimension: DIMENSIONS[index] as string,
          distinct: counts.size,
          total,
          top: topValues(counts, options.vocabularyTop),
        });
      });
      return {
        idleGaps: idleGapsOf(history, buckets),
        scope: history.scope,
        events: history.events,
        agents: history.agents.size,
        firstSeenMs: firstSeen(history.minutes, window.startMs),
        lastSeenMs: history.lastSeenMs,
        denied: history.denied,
        errors: history.errors,
        maxChainDepth: Math.max(0, ...history.depths.keys()),
        activeHoursOfDay: mask,
        activeMinutes: history.callsPerMinute.size,
        activeHours: history.callsPerHour.size,
        ratePerMinute: robustStatsOf(history.callsPerMinute),
        ratePerHour: robustStatsOf(history.callsPerHour),
        bytesPerCall: robustStatsOf(history.bytesPerCall),
        bytesPerHour: shifted(robustStatsOf(history.bytesPerHour)),
        bytesPerCallByVerb: statsMap(history.bytesByVerb),
        bytesPerCallBySensitivity: statsMap(history.bytesBySensitivity),
        vocabularies,
        hourOfWeekCalls: slots.length > 0 ? slots : null,
      };
    },
  };
}

/**
 * Hourly byte sums are stored plus one, so that an hour with calls but no bytes still counts
 * as a sample (0 means "no sample" in moveSum); this takes the one back off.
 */
function shifted(stats: RobustStats | undefined): RobustStats | undefined {
  if (!stats) return undefined;
  return {
    median: stats.median - 1,
    mad: stats.mad,
    p95: stats.p95 - 1,
    p99: stats.p99 - 1,
    max: stats.max - 1,
  };
}

/**
 * Idle stretches of the scope's agents (the SQL's): hours from each active hour of an agent to
 * its next, when over one. Computed when asked, from the agents' hour buckets: one baseline
 * build per scope and tick, and an agent's buckets hold at most a window of hours.
 */
function idleGapsOf(
  history: ScopeHistory,
  buckets: ReadonlyMap<string, AgentBuckets>,
): { readonly stats: RobustStats; readonly count: number } {
  const sample = new OrderedSample();
  for (const agent of buckets.values()) {
    if (!agent.scopes.includes(history)) continue;
    agent.idleGaps ??= gapsOf(agent.callsPerHour);
    for (const gap of agent.idleGaps) sample.insert(gap);
  }
  return { stats: robustStatsOf(sample) ?? EMPTY_STATS, count: sample.size };
}

function gapsOf(callsPerHour: ReadonlyMap<number, number>): number[] {
  const hours = [...callsPerHour.keys()].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < hours.length; i++) {
    const gap = (hours[i] as number) - (hours[i - 1] as number);
    if (gap > 1) gaps.push(gap);
  }
  return gaps;
}
