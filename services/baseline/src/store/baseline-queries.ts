import type { ClickHouseClient } from "@clickhouse/client";
import {
  EMPTY_STATS,
  VOCABULARY_DIMENSIONS,
  type BaselineLevel,
  type RobustStats,
  type VocabularyDimension,
} from "@warden/shared";
import type { ScopeAggregates, VocabularyRow } from "../model/build-model.js";

/**
 * The aggregates a baseline is built from, computed by ClickHouse where the data is: one
 * pass per statistic over the events table or its roll-ups, grouped by the scope's columns.
 * Agent, peer-group and tenant baselines run the same SQL with different grouping columns;
 * rates and volumes are always per agent (per agent-minute, per agent-hour), so a peer
 * group's median is the median over its agents' minutes.
 */

const SCOPE_COLUMNS: Readonly<Record<BaselineLevel, readonly string[]>> = {
  agent: ["tenant", "agent_id"],
  peer: ["tenant", "agent_kind"],
  tenant: ["tenant"],
};

export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

function windowFilter(column: string): string {
  return `${column} >= fromUnixTimestamp64Milli({from:Int64}) AND ${column} < fromUnixTimestamp64Milli({to:Int64})`;
}

/** Rows as JSON objects; 64-bit integers arrive as strings, so callers use Number(). */
async function rows<T>(
  client: ClickHouseClient,
  query: string,
  window: Window,
  extra: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await client.query({
    query,
    query_params: { from: window.startMs, to: window.endMs, ...extra },
    format: "JSONEachRow",
  });
  return result.json<T>();
}

type Keyed = Record<string, unknown>;

function keyOf(row: Keyed, columns: readonly string[]): string {
  return JSON.stringify(columns.map((column) => row[column]));
}

/**
 * Median, MAD, p95, p99 and max of each of `values` per group, nearest-rank (quantileExact),
 * in one pass: each group's values are collected once and the MAD is taken over that array,
 * so the source (often itself an aggregation of a roll-up) is read once, never joined with
 * itself, and several statistics of one source share the read.
 */
function robustStatsSql(
  source: string,
  groups: readonly string[],
  values: readonly string[],
): string {
  const cols = groups.join(", ");
  const collected = values.map(
    (v) =>
      `groupArray(toFloat64(${v})) AS ${v}_xs, arrayReduce('quantileExact(0.5)', ${v}_xs) AS ${v}_med`,
  );
  const stats = values.map(
    (v) => `${v}_med AS ${v}_median,
  arrayReduce('quantileExact(0.5)', arrayMap(d -> abs(d - ${v}_med), ${v}_xs)) AS ${v}_mad,
  arrayReduce('quantilesExact(0.95, 0.99)', ${v}_xs) AS ${v}_q,
  arrayMax(${v}_xs) AS ${v}_max`,
  );
  return `SELECT ${cols}, ${stats.join(",\n  ")}, length(${values[0] ?? "x"}_xs) AS n
FROM (SELECT ${cols}, ${collected.join(", ")} FROM (${source}) GROUP BY ${cols})`;
}

type StatsRow = Keyed & { n: string | number };

function toStats(row: StatsRow, value: string): RobustStats {
  const q = row[`${value}_q`] as [number, number];
  return {
    median: Number(row[`${value}_median`]),
    mad: Number(row[`${value}_mad`]),
    p95: Number(q[0]),
    p99: Number(q[1]),
    max: Number(row[`${value}_max`]),
  };
}

interface GroupStats {
  /** By value column. */
  readonly stats: Readonly<Record<string, RobustStats>>;
  readonly n: number;
  readonly row: StatsRow;
}

/** Statistics of `values` (columns of `source`) per group, listed by the scope's key. */
async function statsBy(
  client: ClickHouseClient,
  source: string,
  groups: readonly string[],
  keyColumns: readonly string[],
  window: Window,
  values: readonly string[] = ["x"],
): Promise<Map<string, GroupStats[]>> {
  const result = new Map<string, GroupStats[]>();
  for (const row of await rows<StatsRow>(
    client,
    robustStatsSql(source, groups, values),
    window,
  )) {
    const key = keyOf(row, keyColumns);
    const list = result.get(key) ?? [];
    list.push({
      stats: Object.fromEntries(values.map((v) => [v, toStats(row, v)])),
      n: Number(row.n),
      row,
    });
    result.set(key, list);
  }
  return result;
}

/**
 * The column expression each vocabulary dimension's values come from. Scopes are the one array
 * column (each entry of a credential's scopes counts once); the dimensions are listed in the
 * model's order (VOCABULARY_DIMENSIONS), as the in-memory aggregates list them.
 */
const VOCABULARY_COLUMNS: Readonly<
  Record<Exclude<VocabularyDimension, "scopes">, string>
> = {
  actions: "action_name",
  verbs: "toString(verb)",
  resources: "resource_id",
  resourceTypes: "toString(resource_type)",
  sensitivities: "toString(sensitivity)",
  sourceIps: "source_ip",
  gateways: "toString(gateway)",
  instances: "instance",
  credentials: "credential_id",
  delegationParents: "delegation_parent",
};

/**
 * Per scope, every dimension's value counts in one pass over the events: a `sumMap` per
 * dimension (values → calls, empty values left out; scopes count each entry of the array),
 * then the distinct count, the total and the `top` most frequent, ties by value.
 */
function vocabularySql(db: string, colList: string): string {
  const maps = VOCABULARY_DIMENSIONS.map((dim) =>
    dim === "scopes"
      ? "sumMap(arrayFilter(s -> s != '', scopes), arrayMap(s -> toUInt64(1), arrayFilter(s -> s != '', scopes))) AS m_scopes"
      : `sumMap(if(${VOCABULARY_COLUMNS[dim]} = '', [], [${VOCABULARY_COLUMNS[dim]}]), if(${VOCABULARY_COLUMNS[dim]} = '', [], [toUInt64(1)])) AS m_${dim}`,
  );
  const outer = VOCABULARY_DIMENSIONS.map(
    (dim) =>
      `(length(m_${dim}.1), arraySum(m_${dim}.2), arraySlice(arraySort(p -> (-p.2, p.1), arrayZip(m_${dim}.1, m_${dim}.2)), 1, {top:UInt32})) AS ${dim}`,
  );
  return `SELECT ${colList}, ${outer.join(",\n  ")}
    FROM (SELECT ${colList}, ${maps.join(",\n    ")}
      FROM ${db}.events WHERE ${windowFilter("time")} GROUP BY ${colList})`;
}

type VocabularyCell = [
  string | number,
  string | number,
  [string, string | number][],
];

interface HistoryRow extends Keyed {
  events: string;
  agents: string;
  kind: string;
  first: string;
  last: string;
  denied: string;
  errors: string;
  depth: number;
  mask: string | number;
}

/** Every aggregate of every scope of `level` with events in the window. */
export async function queryAggregates(
  client: ClickHouseClient,
  database: string,
  level: BaselineLevel,
  window: Window,
  options: { readonly vocabularyTop: number },
): Promise<ScopeAggregates[]> {
  const db = database;
  const cols = SCOPE_COLUMNS[level];
  const colList = cols.join(", ");
  const perAgent = "tenant, agent_kind, agent_id";
  const history = await rows<HistoryRow>(
    client,
    `SELECT ${colList}, count() AS events, uniqExact(agent_id) AS agents,
      anyLast(agent_kind) AS kind,
      toUnixTimestamp64Milli(min(time)) AS first, toUnixTimestamp64Milli(max(time)) AS last,
      countIf(outcome = 'denied') AS denied, countIf(outcome = 'error') AS errors,
      max(chain_depth) AS depth,
      groupBitOr(bitShiftLeft(toUInt32(1), toHour(time))) AS mask
    FROM ${db}.events WHERE ${windowFilter("time")} GROUP BY ${colList}`,
    window,
  );
  const perMinute = await statsBy(
    client,
    `SELECT ${perAgent}, minute, sum(calls) AS x FROM ${db}.events_per_minute
      WHERE ${windowFilter("minute")} GROUP BY ${perAgent}, minute`,
    cols,
    cols,
    window,
  );
  const hourly = `SELECT ${perAgent}, hour, sum(calls) AS calls, sum(bytes_out) AS bytes
    FROM ${db}.events_per_hour WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}))
      AND hour < fromUnixTimestamp64Milli({to:Int64}) GROUP BY ${perAgent}, hour`;
  // Calls and bytes per agent-hour share one read of the hourly roll-up.
  const perHour = await statsBy(
    client,
    `SELECT ${colList}, calls, bytes FROM (${hourly})`,
    cols,
    cols,
    window,
    ["calls", "bytes"],
  );
  const perCall = (extra: string): string =>
    `SELECT ${colList}${extra}, bytes_out AS x FROM ${db}.events WHERE ${windowFilter("time")}`;
  const bytesPerCall = await statsBy(client, perCall(""), cols, cols, window);
  const byVerb = await statsBy(
    client,
    perCall(", toString(verb) AS verb"),
    [...cols, "verb"],
    cols,
    window,
  );
  const bySensitivity = await statsBy(
    client,
    perCall(", toString(sensitivity) AS sensitivity"),
    [...cols, "sensitivity"],
    cols,
    window,
  );
  const vocabularies = new Map<string, VocabularyRow[]>();
  for (const row of await rows<Keyed>(
    client,
    vocabularySql(db, colList),
    window,
    { top: options.vocabularyTop },
  )) {
    const list: VocabularyRow[] = [];
    for (const dimension of VOCABULARY_DIMENSIONS) {
      const [distinct, total, top] = row[dimension] as VocabularyCell;
      if (Number(distinct) === 0) continue;
      list.push({
        dimension,
        distinct: Number(distinct),
        total: Number(total),
        top: top.map(([value, count]) => [value, Number(count)] as const),
      });
    }
    vocabularies.set(keyOf(row, cols), list);
  }
  // Idle stretches, as in memory: per agent, hours from each active hour to its next when over
  // one; their statistics per scope over all its agents' stretches.
  const idleGaps = await statsBy(
    client,
    `SELECT ${colList}, arrayJoin(gaps) AS x FROM (
      SELECT ${perAgent}, arrayFilter(g -> g > 1, arrayDifference(arraySort(groupArray(h)))) AS gaps
      FROM (SELECT ${perAgent}, intDiv(toUnixTimestamp(hour), 3600) AS h FROM ${db}.events_per_hour
        WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64})) AND hour < fromUnixTimestamp64Milli({to:Int64})
        GROUP BY ${perAgent}, h)
      GROUP BY ${perAgent})`,
    cols,
    cols,
    window,
  );
  const hourOfWeek = new Map<string, (readonly [number, number])[]>();
  for (const row of await rows<Keyed & { slots: [number, string][] }>(
    client,
    `SELECT ${colList}, groupArray((how, c)) AS slots FROM (
      SELECT ${colList}, toUInt16((toDayOfWeek(hour) - 1) * 24 + toHour(hour)) AS how, sum(calls) AS c
      FROM ${db}.events_per_hour
      WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64})) AND hour < fromUnixTimestamp64Milli({to:Int64})
      GROUP BY ${colList}, how)
    GROUP BY ${colList}`,
    window,
  )) {
    hourOfWeek.set(
      keyOf(row, cols),
      // groupArray's order is arbitrary: slots are listed by hour of week, as in memory.
      row.slots
        .map(([how, calls]) => [Number(how), Number(calls)] as const)
        .sort((a, b) => a[0] - b[0]),
    );
  }

  return history.map((row): ScopeAggregates => {
    const key = keyOf(row, cols);
    const tenant = String(row["tenant"]);
    const minute = perMinute.get(key)?.[0];
    const hour = perHour.get(key)?.[0];
    const statsMap = (
      source: Map<string, GroupStats[]>,
      column: string,
    ): Record<string, RobustStats> =>
      Object.fromEntries(
        (source.get(key) ?? []).map(({ stats, row: statsRow }) => [
          String(statsRow[column]),
          stats["x"] ?? EMPTY_STATS,
        ]),
      );
    const idle = idleGaps.get(key)?.[0];
    return {
      idleGaps: { stats: idle?.stats["x"] ?? EMPTY_STATS, count: idle?.n ?? 0 },
      scope:
        level === "agent"
          ? {
              level,
              tenant,
              agentId: String(row["agent_id"]),
              agentKind: row.kind,
            }
          : level === "peer"
            ? { level, tenant, agentKind: String(row["agent_kind"]) }
            : { level, tenant },
      events: Number(row.events),
      agents: Number(row.agents),
      firstSeenMs: Number(row.first),
      lastSeenMs: Number(row.last),
      denied: Number(row.denied),
      errors: Number(row.errors),
      maxChainDepth: Number(row.depth),
      activeHoursOfDay: Number(row.mask),
      activeMinutes: minute?.n ?? 0,
      activeHours: hour?.n ?? 0,
      ratePerMinute: minute?.stats["x"],
      ratePerHour: hour?.stats["calls"],
      bytesPerCall: bytesPerCall.get(key)?.[0]?.stats["x"],
      bytesPerHour: hour?.stats["bytes"],
      bytesPerCallByVerb: statsMap(byVerb, "verb"),
      bytesPerCallBySensitivity: statsMap(bySensitivity, "sensitivity"),
      vocabularies: vocabularies.get(key) ?? [],
      hourOfWeekCalls: hourOfWeek.get(key) ?? null,
    };
  });
}
