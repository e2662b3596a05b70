import type { ClickHouseClient } from "@clickhouse/client";

/**
 * Versioned schema migrations, applied in order at start-up. Each statement is idempotent on
 * its own (IF NOT EXISTS), and applied versions are recorded in `schema_migrations`, so a
 * restart, or two instances starting together against one server, is harmless. Never edit a
 * released migration: add the next version. The SQL is the same for chDB and a server.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  statements(database: string): readonly string[];
}

/** The events table as the first release created it (kept verbatim: it exists on disks). */
const createEvents = (
  db: string,
): string => `CREATE TABLE IF NOT EXISTS ${db}.events (
  event_id String,
  tenant LowCardinality(String),
  agent_id String,
  agent_kind LowCardinality(String),
  time DateTime64(3, 'UTC'),
  credential_id String,
  action_name String,
  verb LowCardinality(String),
  resource_id String,
  sensitivity LowCardinality(String),
  outcome LowCardinality(String),
  bytes_out UInt64,
  chain_depth UInt8,
  raw String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (tenant, agent_id, time, event_id)`;

// Per agent per minute / hour, by verb and sensitivity. Sums are simple aggregates; distinct
// counts and byte quantiles are mergeable states, so any coarser grouping merges them exactly.
const rollupColumns = (bucket: string): string => `
  tenant LowCardinality(String),
  agent_kind LowCardinality(String),
  agent_id String,
  ${bucket} DateTime('UTC'),
  verb LowCardinality(String),
  sensitivity LowCardinality(String),
  calls SimpleAggregateFunction(sum, UInt64),
  denied SimpleAggregateFunction(sum, UInt64),
  errors SimpleAggregateFunction(sum, UInt64),
  bytes_out SimpleAggregateFunction(sum, UInt64),
  bytes_out_max SimpleAggregateFunction(max, UInt64),
  bytes_out_quantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64),
  resources AggregateFunction(uniq, String),
  actions AggregateFunction(uniq, String)`;

// Source columns are qualified (`e.`) because the output aliases reuse their names.
export const rollupSelect = (
  db: string,
  bucket: string,
  truncate: string,
  where = "",
): string => `SELECT
  e.tenant AS tenant, e.agent_kind AS agent_kind, e.agent_id AS agent_id,
  ${truncate}(e.time) AS ${bucket}, e.verb AS verb, e.sensitivity AS sensitivity,
  count() AS calls,
  countIf(e.outcome = 'denied') AS denied,
  countIf(e.outcome = 'error') AS errors,
  sum(e.bytes_out) AS bytes_out,
  max(e.bytes_out) AS bytes_out_max,
  quantilesTDigestState(0.5, 0.95, 0.99)(e.bytes_out) AS bytes_out_quantiles,
  uniqState(e.resource_id) AS resources,
  uniqState(e.action_name) AS actions
FROM ${db}.events AS e ${where}
GROUP BY tenant, agent_kind, agent_id, ${bucket}, verb, sensitivity`;

/** The roll-up tables, their time column and how an event time is truncated into it. */
export const ROLLUPS = [
  { table: "events_per_minute", bucket: "minute", truncate: "toStartOfMinute" },
  { table: "events_per_hour", bucket: "hour", truncate: "toStartOfHour" },
] as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "events",
    statements: (db) => [createEvents(db)],
  },
  {
    version: 2,
    description: "events: fields the baseline vocabularies need",
    statements: (db) => [
      `ALTER TABLE ${db}.events
        ADD COLUMN IF NOT EXISTS resource_type LowCardinality(String) AFTER resource_id,
        ADD COLUMN IF NOT EXISTS source_ip String,
        ADD COLUMN IF NOT EXISTS gateway LowCardinality(String),
        ADD COLUMN IF NOT EXISTS instance String,
        ADD COLUMN IF NOT EXISTS scopes Array(String),
        ADD COLUMN IF NOT EXISTS delegation_parent String,
        ADD COLUMN IF NOT EXISTS late UInt8`,
    ],
  },
  {
    version: 3,
    description: "decisions and revocations",
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.decisions (
        decision_id String,
        tenant LowCardinality(String),
        agent_id String,
        action LowCardinality(String),
        risk Float64,
        at DateTime64(3, 'UTC'),
        decided_at DateTime64(3, 'UTC'),
        trigger_event_id String,
        detectors Array(LowCardinality(String)),
        summary String,
        raw String
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (tenant, agent_id, at, decision_id)`,
      `CREATE TABLE IF NOT EXISTS ${db}.revocations (
        revocation_id String,
        tenant LowCardinality(String),
        agent_id String,
        decision_id String,
        action LowCardinality(String),
        outcome LowCardinality(String),
        at DateTime64(3, 'UTC'),
        raw String
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (tenant, agent_id, at, revocation_id)`,
    ],
  },
  {
    version: 4,
    description: "per-minute and per-hour roll-ups of events",
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.events_per_minute (${rollupColumns("minute")})
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMMDD(minute)
      ORDER BY (tenant, agent_id, minute, agent_kind, verb, sensitivity)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.events_per_minute_mv
      TO ${db}.events_per_minute AS ${rollupSelect(db, "minute", "toStartOfMinute")}`,
      `CREATE TABLE IF NOT EXISTS ${db}.events_per_hour (${rollupColumns("hour")})
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(hour)
      ORDER BY (tenant, agent_id, hour, agent_kind, verb, sensitivity)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.events_per_hour_mv
      TO ${db}.events_per_hour AS ${rollupSelect(db, "hour", "toStartOfHour")}`,
    ],
  },
  {
    version: 5,
    description: "published baselines, for hosts without a KV bucket",
    // The all-in-one's models outlive a restart here (the cluster keeps them in NATS KV): the
    // latest per key wins, and, like a KV entry, a model stays until its scope is active again.
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.baselines (
        key String,
        computed_at DateTime64(3, 'UTC'),
        model String
      ) ENGINE = ReplacingMergeTree(computed_at)
      ORDER BY key`,
    ],
  },
];

/** Tables with a retention TTL, and the column it counts from. */
export const RETAINED_TABLES = [
  { table: "events", column: "time" },
  { table: "decisions", column: "at" },
  { table: "revocations", column: "at" },
  { table: "events_per_minute", column: "minute" },
  { table: "events_per_hour", column: "hour" },
] as const;

/**
 * Where the schema goes: one server (or chDB), or every replica of a ClickHouse cluster
 * (CLICKHOUSE_CLUSTER). On a cluster each DDL statement runs `ON CLUSTER` and every MergeTree
 * engine becomes its Replicated twin, with the server's default replica path and name
 * (`default_replica_path`, `default_replica_name`), so each replica holds all of Warden's data.
 * Writes go to any replica and the materialised views fill the roll-ups where the insert lands;
 * replication carries both. Sharding (Distributed tables) is not supported.
 */
export interface SchemaTarget {
  readonly database: string;
  readonly cluster?: string | undefined;
}

const DDL_HEAD =
  /^(\s*(?:CREATE (?:TABLE|MATERIALIZED VIEW|DATABASE) IF NOT EXISTS|ALTER TABLE) [A-Za-z0-9_.]+)/;
const MERGE_TREE = /ENGINE = (Replacing|Aggregating|Summing)?MergeTree\b/g;

/**
 * One migration statement as it runs on `cluster`; unchanged without one. Pure. The released
 * migrations stay verbatim (single-server disks have them): the cluster form is derived.
 */
export function forCluster(statement: string, cluster?: string): string {
  if (!cluster) return statement;
  if (!DDL_HEAD.test(statement))
    throw new Error(`no cluster form for statement: ${statement.slice(0, 60)}`);
  return statement
    .replace(DDL_HEAD, `$1 ON CLUSTER ${cluster}`)
    .replace(MERGE_TREE, (_, kind: string | undefined) => {
      return `ENGINE = Replicated${kind ?? ""}MergeTree`;
    });
}

/** Applies the migrations not yet recorded; returns the versions it applied. */
export async function migrate(
  client: ClickHouseClient,
  { database, cluster }: SchemaTarget,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const run = (query: string) =>
    client.command({ query: forCluster(query, cluster) });
  await run(`CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
      version UInt32,
      description String,
      applied_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree ORDER BY version`);
  const result = await client.query({
    query: `SELECT DISTINCT version FROM ${database}.schema_migrations`,
    format: "JSONEachRow",
  });
  const applied = new Set(
    (await result.json<{ version: number }>()).map((row) =>
      Number(row.version),
    ),
  );
  const done: number[] = [];
  for (const migration of [...migrations].sort(
    (a, b) => a.version - b.version,
  )) {
    if (applied.has(migration.version)) continue;
    for (const query of migration.statements(database)) await run(query);
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [
        {
          version: migration.version,
          description: migration.description,
          applied_at: Date.now(),
        },
      ],
      format: "JSONEachRow",
    });
    done.push(migration.version);
  }
  return done;
}

/**
 * Sets every retained table's TTL to `days`, only where it differs: MODIFY TTL rewrites
 * parts, which a restart with an unchanged setting must not pay for.
 */
export async function applyRetention(
  client: ClickHouseClient,
  { database, cluster }: SchemaTarget,
  days: number,
): Promise<string[]> {
  const result = await client.query({
    query: `SELECT name, engine_full FROM system.tables WHERE database = {database:String}`,
    query_params: { database },
    format: "JSONEachRow",
  });
  const engines = new Map(
    (await result.json<{ name: string; engine_full: string }>()).map((row) => [
      row.name,
      row.engine_full,
    ]),
  );
  const changed: string[] = [];
  for (const { table, column } of RETAINED_TABLES) {
    const ttl = `toDateTime(${column}) + toIntervalDay(${days})`;
    if (engines.get(table)?.includes(`TTL ${ttl}`)) continue;
    await client.command({
      query: forCluster(
        `ALTER TABLE ${database}.${table} MODIFY TTL ${ttl}`,
        cluster,
      ),
    });
    changed.push(table);
  }
  return changed;
}
