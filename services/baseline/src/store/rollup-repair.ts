import type { ClickHouseClient } from "@clickhouse/client";
import { ROLLUPS, rollupSelect } from "./migrations.js";

/**
 * Rebuilds the roll-up buckets of some agents over a time range from the events table.
 *
 * Why: an insert into `events` and the materialised views' inserts into the roll-ups are not
 * one atomic step, so a process killed between them leaves the roll-ups short (or, if the
 * views' part landed first, long) for that batch. After a restart or rebalance the sink calls
 * this for the first batches it re-reads, so the buckets those events fall in are recomputed
 * from the events themselves. An agent's events all arrive on one partition (key = agent id),
 * so no other batch writes these buckets meanwhile. Idempotent: a crash during the repair is
 * repaired again on the next start.
 */
export async function rebuildRollups(
  client: ClickHouseClient,
  database: string,
  agents: readonly (readonly [string, string])[],
  fromMs: number,
  toMs: number,
): Promise<void> {
  if (agents.length === 0) return;
  const params = {
    tenants: agents.map(([tenant]) => tenant),
    agent_ids: agents.map(([, agentId]) => agentId),
    from: Math.floor(fromMs),
    to: Math.ceil(toMs),
  };
  // Parallel arrays zipped in SQL: tuple-typed query parameters do not bind from JS arrays.
  const agentSet =
    "arrayZip({tenants:Array(String)}, {agent_ids:Array(String)})";
  for (const { table, bucket, truncate } of ROLLUPS) {
    const first = `${truncate}(fromUnixTimestamp64Milli({from:Int64}))`;
    const last = `${truncate}(fromUnixTimestamp64Milli({to:Int64}))`;
    const ofAgents = `(tenant, agent_id) IN ${agentSet}`;
    await client.command({
      query: `DELETE FROM ${database}.${table}
        WHERE ${ofAgents} AND ${bucket} >= ${first} AND ${bucket} <= ${last}`,
      query_params: params,
    });
    await client.command({
      query: `INSERT INTO ${database}.${table} ${rollupSelect(
        database,
        bucket,
        truncate,
        `WHERE (e.tenant, e.agent_id) IN ${agentSet}
          AND ${truncate}(e.time) >= ${first} AND ${truncate}(e.time) <= ${last}`,
      )}`,
      query_params: params,
    });
  }
}
