import type { ClickHouseClient } from "@clickhouse/client";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";
import { migrate } from "./store/migrations.js";
import {
  decisionRow,
  eventRow,
  revocationRow,
  type Row,
} from "./store/rows.js";

// The all-in-one process (cli/) writes events straight into the same schema as the service.

/** Brings the schema (events, roll-ups, decisions, revocations) up to date. */
export async function ensureEventsTable(
  client: ClickHouseClient,
  database: string,
): Promise<void> {
  await migrate(client, { database });
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

/** The all-in-one's decisions, into the table the query API reads (as the Kafka sink writes it). */
export async function insertDecisions(
  client: ClickHouseClient,
  database: string,
  decisions: readonly DecisionV1[],
): Promise<void> {
  if (decisions.length === 0) return;
  const nowMs = Date.now();
  await client.insert({
    table: `${database}.decisions`,
    values: decisions.map(
      (decision) =>
        decisionRow(Buffer.from(JSON.stringify(decision)), nowMs).row,
    ),
    format: "JSONEachRow",
  });
}

/** The all-in-one revoker's audit records, into the table the query API reads. */
export async function insertRevocations(
  client: ClickHouseClient,
  database: string,
  records: readonly object[],
): Promise<void> {
  if (records.length === 0) return;
  const nowMs = Date.now();
  await client.insert({
    table: `${database}.revocations`,
    values: records.map(
      (record) => revocationRow(Buffer.from(JSON.stringify(record)), nowMs).row,
    ),
    format: "JSONEachRow",
  });
}
