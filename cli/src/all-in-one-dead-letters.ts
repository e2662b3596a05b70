import type { ClickHouseClient } from "@clickhouse/client";
import type { Rejection } from "@warden/ingest";

/**
 * All-in-one mode has no Kafka, so its dead letters live in the embedded ClickHouse:
 * the original bytes (base64, exact even when not UTF-8), reason, detail and gateway.
 */
export interface DeadLetterRow {
  readonly received_at: number;
  /** An ingest rejection, or a finding no sink would take (`finding_undelivered`). */
  readonly reason: Rejection | "finding_undelivered";
  readonly detail: string;
  readonly gateway: string;
  readonly raw_base64: string;
}

export async function ensureDeadLettersTable(
  client: ClickHouseClient,
  database: string,
): Promise<void> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.dead_letters (
      received_at DateTime64(3, 'UTC'),
      reason LowCardinality(String),
      detail String,
      gateway String,
      raw_base64 String
    ) ENGINE = MergeTree ORDER BY (reason, received_at)`,
  });
}

export async function insertDeadLetters(
  client: ClickHouseClient,
  database: string,
  rows: readonly DeadLetterRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: `${database}.dead_letters`,
    values: rows,
    format: "JSONEachRow",
  });
}

export async function countDeadLettersByReason(
  client: ClickHouseClient,
  database: string,
): Promise<Record<string, number>> {
  const rows = await (
    await client.query({
      query: `SELECT reason, count() AS n FROM ${database}.dead_letters GROUP BY reason`,
      format: "JSONEachRow",
    })
  ).json<{ reason: string; n: string | number }>();
  return Object.fromEntries(rows.map((row) => [row.reason, Number(row.n)]));
}
