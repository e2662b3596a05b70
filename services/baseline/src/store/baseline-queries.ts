import type { ClickHouseClient } from "@clickhouse/client";
import type { BaselineLevel, RobustStats } from "@warden/shared";
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

/** Median, MAD, p95, p99 and max of `x` per group, nearest-rank (quantileExact). */
function robustStatsSql(source: string, groups: readonly string[]): string {
  const cols = groups.join(", ");
  return `WITH src AS (${source})
SELECT ${cols},
  any(m.med) AS median,
  quantileExact(0.5)(abs(toFloat64(src.x) - m.med)) AS mad,
  quantilesExact(0.95, 0.99)(toFloat64(src.x)) AS q,
  max(toFloat64(src.x)) AS max,
  count() AS n
FROM src
INNER JOIN (SELECT ${cols}, toFloat64(quantileExact(0.5)(x)) AS med FROM src GROUP BY ${cols}) AS m
USING (${cols})
GROUP BY ${cols}`;
}

interface StatsRow extends Keyed {
  median: number;
  mad: number;
  q: [number, number];
  max: number;
  n: string | number;
}

function toStats(row: StatsRow): RobustStats {
  return {
    median: Number(row.median),
    mad: Number(row.mad),
    p95: Number(row.q[0]),
    p99: Number(row.q[1]),
    max: Number(row.max),
  };
}

async function statsBy(
  client: ClickHouseClient,
  source: string,
  groups: readonly string[],
  keyColumns: readonly string[],
  window: Window,
): Promise<Map<string, { stats: RobustStats; n: number; row: StatsRow }[]>> {
  const result = new Map<
    string,
    { stats: RobustStats; n: number; row: StatsRow }[]
  >();
  for (const row of await rows<StatsRow>(
    client,
    robustStatsSql(source, groups),
    window,
  )) {
    const key = keyOf(row, keyColumns);
    const list = result.get(key) ?? [];
    list.push({ stats: toStats(row), n: Number(row.n), row });
    result.set(key, list);
  }
  return result;
}

const VOCABULARY_PAIRS = `arrayConcat([
  ('actions', action_name), ('verbs', toString(verb)), ('resources', resource_id),
  ('resourceTypes', toString(resource_type)), ('sensitivities', toString(sensitivity)),
  ('sourceIps', source_ip), ('gateways', toString(gateway)), ('instances', instance),
  ('credentials', credential_id), ('delegationParents', delegation_parent)
], arrayMap(s -> ('scopes', s), scopes))`;

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
  options: { readonly vocabularyTop: number; readonly maxActiveHours: number },
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
  const perHour = await statsBy(
    client,
    `SELECT ${colList}, calls AS x FROM (${hourly})`,
    cols,
    cols,
    window,
  );
  const bytesPerHour = await statsBy(
    client,
    `SELECT ${colList}, bytes AS x FROM (${hourly})`,
    cols,
    cols,
    window,
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
  for (const row of await rows<
    Keyed & {
      dim: string;
      distinct: string;
      total: string;
      top: [string, string][];
    }
  >(
    client,
    `SELECT ${colList}, dim, count() AS distinct, sum(n) AS total,
      arraySlice(arraySort(p -> (-p.2, p.1), groupArray((value, n))), 1, {top:UInt32}) AS top
    FROM (
      SELECT ${colList}, pair.1 AS dim, pair.2 AS value, count() AS n
      FROM ${db}.events ARRAY JOIN ${VOCABULARY_PAIRS} AS pair
      WHERE ${windowFilter("time")} AND pair.2 != ''
      GROUP BY ${colList}, dim, value)
    GROUP BY ${colList}, dim`,
    window,
    { top: options.vocabularyTop },
  )) {
    const key = keyOf(row, cols);
    const list = vocabularies.get(key) ?? [];
    list.push({
      dimension: row.dim,
      distinct: Number(row.distinct),
      total: Number(row.total),
      top: row.top.map(([value, count]) => [value, Number(count)] as const),
    });
    vocabularies.set(key, list);
  }
  const hourOfWeek = new Map<string, (readonly [number, number])[]>();
  for (const row of await rows<Keyed & { slots: [number, string][] }>(
    client,
    `SELECT ${colList}, groupArray((how, c)) AS slots FROM (
      SELECT ${colList}, toUInt16((toDayOfWeek(hour) - 1) * 24 + toHour(hour)) AS how, sum(calls) AS c
      FROM ${db}.events_per_hour
      WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64})) AND hour < fromUnixTimestamp64Milli({to:Int64})
      GROUP BY ${colList}, how)
    GROUP BY ${colList}
    HAVING bitCount(groupBitOr(bitShiftLeft(toUInt32(1), how % 24))) <= {max_active:UInt8}`,
    window,
    { max_active: options.maxActiveHours },
  )) {
    hourOfWeek.set(
      keyOf(row, cols),
      row.slots.map(([how, calls]) => [Number(how), Number(calls)] as const),
    );
  }

  return history.map((row): ScopeAggregates => {
    const key = keyOf(row, cols);
    const tenant = String(row["tenant"]);
    const minute = perMinute.get(key)?.[0];
    const hour = perHour.get(key)?.[0];
    const statsMap = (
      source: Map<string, { stats: RobustStats; row: StatsRow }[]>,
      column: string,
    ): Record<string, RobustStats> =>
      Object.fromEntries(
        (source.get(key) ?? []).map(({ stats, row: statsRow }) => [
          String(statsRow[column]),
          stats,
        ]),
      );
    return {
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
      ratePerMinute: minute?.stats,
      ratePerHour: hour?.stats,
      bytesPerCall: bytesPerCall.get(key)?.[0]?.stats,
      bytesPerHour: bytesPerHour.get(key)?.[0]?.stats,
      bytesPerCallByVerb: statsMap(byVerb, "verb"),
      bytesPerCallBySensitivity: statsMap(bySensitivity, "sensitivity"),
      vocabularies: vocabularies.get(key) ?? [],
      hourOfWeekCalls: hourOfWeek.get(key) ?? null,
    };
  });
}
