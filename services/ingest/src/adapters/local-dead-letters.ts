import type { createClickHouse } from "@warden/shared";
import { DEAD_LETTER_HEADER, ORIGIN_HEADER } from "../core/dead-letter.js";

type ClickHouse = Awaited<ReturnType<typeof createClickHouse>>;

/**
 * A record of the dead-letter queue in the shape of an `agent.audit.dlq` Kafka record: a
 * position, the original key and bytes, and everything else in the DLQ headers
 * (core/dead-letter.ts), so `warden dlq` reads the cluster's and the all-in-one's alike.
 */
export interface DeadLetterRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LocalDeadLetters {
  /** Appends records (offsets are assigned here, in order); resolves once stored. */
  write(records: readonly Omit<DeadLetterRecord, "offset">[]): Promise<void>;
  /** The newest `limit` records (of one gateway only, when given), oldest first. */
  latest(limit: number, gateway?: string): Promise<DeadLetterRecord[]>;
  countByReason(gateway?: string): Promise<Record<string, number>>;
}

/** How long the all-in-one keeps a dead letter: the DLQ topic's retention in the cluster. */
export const LOCAL_DEAD_LETTER_RETENTION_DAYS = 7;

interface Row {
  readonly seq: string | number;
  readonly key_base64: string | null;
  readonly value_base64: string;
  readonly headers: Record<string, string>;
}

// A gateway sees only what it sent itself (its tenant's bytes, nobody else's).
const ofGateway = (gateway: string | undefined) =>
  gateway === undefined
    ? ""
    : `WHERE headers[{gatewayHeader:String}] = {gateway:String}`;
const gatewayParam = (gateway: string | undefined) =>
  gateway === undefined
    ? {}
    : { gatewayHeader: ORIGIN_HEADER.gateway, gateway };

/** A record as JSON (`GET /v1/dead-letters`): the bytes as base64, since they need not be UTF-8. */
export interface DeadLetterJson {
  readonly offset: string;
  readonly key_base64: string | null;
  readonly value_base64: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function deadLetterJsonRecord(record: DeadLetterRecord): DeadLetterJson {
  return {
    offset: record.offset,
    key_base64: record.key?.toString("base64") ?? null,
    value_base64: record.value.toString("base64"),
    headers: record.headers,
  };
}

export function fromDeadLetterJson(json: DeadLetterJson): DeadLetterRecord {
  return {
    offset: json.offset,
    key:
      json.key_base64 === null ? null : Buffer.from(json.key_base64, "base64"),
    value: Buffer.from(json.value_base64, "base64"),
    headers: json.headers,
  };
}

/**
 * The all-in-one's dead-letter queue, in its embedded ClickHouse (`audit_dlq`): durable, and
 * bounded in time by a TTL as the Kafka topic is by retention.
 */
export async function openLocalDeadLetters(
  client: ClickHouse,
  database: string,
): Promise<LocalDeadLetters> {
  const table = `${database}.audit_dlq`;
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table} (
      seq UInt64,
      received_at DateTime64(3, 'UTC'),
      key_base64 Nullable(String),
      value_base64 String,
      headers Map(String, String)
    ) ENGINE = MergeTree ORDER BY seq
    TTL toDateTime(received_at) + INTERVAL ${LOCAL_DEAD_LETTER_RETENTION_DAYS} DAY`,
  });
  const [last] = await (
    await client.query({
      query: `SELECT max(seq) AS seq, count() AS n FROM ${table}`,
      format: "JSONEachRow",
    })
  ).json<{ seq: string | number; n: string | number }>();
  let next = last && Number(last.n) > 0 ? Number(last.seq) + 1 : 0;
  return {
    async write(records) {
      if (records.length === 0) return;
      const receivedAt = Date.now();
      const values = records.map((record) => ({
        seq: next++,
        received_at: receivedAt,
        key_base64: record.key?.toString("base64") ?? null,
        value_base64: record.value.toString("base64"),
        headers: record.headers,
      }));
      await client.insert({ table, values, format: "JSONEachRow" });
    },
    async latest(limit, gateway) {
      const rows = await (
        await client.query({
          query: `SELECT seq, key_base64, value_base64, headers FROM ${table}
            ${ofGateway(gateway)} ORDER BY seq DESC LIMIT {limit:UInt32}`,
          query_params: { limit, ...gatewayParam(gateway) },
          format: "JSONEachRow",
        })
      ).json<Row>();
      return rows.reverse().map((row) => ({
        offset: String(row.seq),
        key:
          row.key_base64 === null
            ? null
            : Buffer.from(row.key_base64, "base64"),
        value: Buffer.from(row.value_base64, "base64"),
        headers: row.headers,
      }));
    },
    async countByReason(gateway) {
      const rows = await (
        await client.query({
          query: `SELECT headers[{header:String}] AS reason, count() AS n FROM ${table}
            ${ofGateway(gateway)} GROUP BY reason`,
          query_params: {
            header: DEAD_LETTER_HEADER.reason,
            ...gatewayParam(gateway),
          },
          format: "JSONEachRow",
        })
      ).json<{ reason: string; n: string | number }>();
      return Object.fromEntries(rows.map((row) => [row.reason, Number(row.n)]));
    },
  };
}
