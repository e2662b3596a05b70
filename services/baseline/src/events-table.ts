import type { ClickHouseClient } from "@clickhouse/client";
import type { CanonicalEvent } from "@warden/shared";
import { migrate } from "./store/migrations.js";
import { eventRow, type Row } from "./store/rows.js";

// The all-in-one process (cli/) writes events straight into the same schema as the service.

/** Brings the schema (events, roll-ups, decisions, revocations) up to date. */
export async function ensureEventsTable(
  client: ClickHouseClient,
  database: string,
): Promise<void> {
  await migrate(client, database);
}

export function toEventRow(event: CanonicalEvent): Row {
  return eventRow(event).row;
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
