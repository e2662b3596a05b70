import type { ClickHouseClient } from "@clickhouse/client";
import type { CanonicalEvent } from "@warden/shared";

/**
 * The `events` table: one row per canonical event. ReplacingMergeTree keyed on the
 * event id keeps re-delivered events from counting twice once parts merge.
 */
export async function ensureEventsTable(
  client: ClickHouseClient,
  database: string,
): Promise<void> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.events (
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
    ORDER BY (tenant, agent_id, time, event_id)`,
  });
}

export function toEventRow(event: CanonicalEvent): Record<string, unknown> {
  return {
    event_id: event.event_id,
    tenant: event.tenant,
    agent_id: event.agent.id,
    agent_kind: event.agent.kind ?? "",
    time: event.time_ms,
    credential_id: event.credential.id,
    action_name: event.action.name,
    verb: event.action.verb,
    resource_id: event.resource?.id ?? "",
    sensitivity: event.resource?.sensitivity ?? "",
    outcome: event.outcome,
    bytes_out: event.bytes_out ?? 0,
    chain_depth: Math.min(event.chain_depth, 255),
    raw: JSON.stringify(event),
  };
}

export async function insertEvents(
  client: ClickHouseClient,
  database: string,
  events: readonly CanonicalEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await client.insert({
    table: `${database}.events`,
    values: events.map(toEventRow),
    format: "JSONEachRow",
  });
}
