import type { ClickHouseClient } from "@clickhouse/client";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import {
  backoffDelayMs,
  kafkaUnreachable,
  parseCanonicalEvent,
  sleep,
  type KafkaConfig,
  type Logger,
  type ReadinessCheck,
  type WardenNames,
} from "@warden/shared";
import type { SinkSettings } from "../config.js";
import type { BaselineMetrics, SinkTable } from "../metrics.js";
import { createBatchWriter, type BatchWriter } from "../store/batch-writer.js";
import { rebuildRollups } from "../store/rollup-repair.js";
import {
  decisionRow,
  eventRow,
  revocationRow,
  type ParsedRow,
  type Row,
} from "../store/rows.js";

/**
 * agent.events.v1, agent.decisions.v1 and warden.revocations.v1 → the ClickHouse tables
 * `events`, `decisions`, `revocations`, in one consumer of the group `warden-baseline`.
 *
 * At least once, stored once: a batch's offsets are committed only after the insert holding
 * its rows was acknowledged, so a crash re-delivers the batches in flight. After every
 * (re)assignment, the sink re-reads a partition in "resume" mode: it drops the rows already
 * stored (the tables are also ReplacingMergeTrees keyed on the id, but merges come late) and,
 * for events, rebuilds the roll-up buckets the batch touches, because the insert into
 * `events` and the views' inserts into the roll-ups are not atomic together. Rows inserted
 * but not committed are the first ones from the committed offset on, at most one fetch of a
 * partition (RESUME_BYTES), so resume mode ends after that many bytes and a batch with a
 * row not yet stored.
 *
 * ClickHouse slow or down: the insert is retried with back-off inside the batch, so the
 * partition is not fetched further (back-pressure), nothing is committed, and readiness
 * reports `clickhouse` until an insert succeeds again.
 */

/** The most one partition's fetch can return (set on the consumer), hence in flight at a crash. */
const RESUME_BYTES = 1_048_576;
const RETRY_INITIAL_MS = 200;
const RETRY_MAX_DELAY_MS = 5_000;

interface TableSpec {
  readonly table: SinkTable;
  readonly idColumn: string;
  readonly timeColumn: string;
  /** Fed into roll-ups by materialised views, which resume mode rebuilds. */
  readonly hasRollups: boolean;
  parse(message: KafkaMessage): ParsedRow;
}

const messageTimeMs = (message: KafkaMessage): number =>
  Number(message.timestamp);

const TABLE_SPECS: readonly TableSpec[] = [
  {
    table: "events",
    idColumn: "event_id",
    timeColumn: "time",
    hasRollups: true,
    parse: (message) => eventRow(parseCanonicalEvent(message.value)),
  },
  {
    table: "decisions",
    idColumn: "decision_id",
    timeColumn: "at",
    hasRollups: false,
    parse: (message) => decisionRow(message.value, messageTimeMs(message)),
  },
  {
    table: "revocations",
    idColumn: "revocation_id",
    timeColumn: "at",
    hasRollups: false,
    parse: (message) => revocationRow(message.value, messageTimeMs(message)),
  },
];

export interface Sinks {
  readonly consumer: Consumer;
  readonly readiness: ReadinessCheck;
  lagByTable(): ReadonlyMap<SinkTable, number>;
  stop(): Promise<void>;
}

export async function startSinks(options: {
  readonly kafka: Kafka;
  readonly kafkaConfig: KafkaConfig;
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly names: WardenNames;
  readonly settings: SinkSettings;
  readonly logger: Logger;
  readonly metrics: BaselineMetrics;
}): Promise<Sinks> {
  const { clickhouse, database, metrics, names } = options;
  const log = options.logger.child({ component: "sinks" });
  const topicOf: Record<SinkTable, string> = {
    events: names.topics.events,
    decisions: names.topics.decisions,
    revocations: names.topics.revocations,
  };
  const specByTopic = new Map(
    TABLE_SPECS.map((spec) => [topicOf[spec.table], spec]),
  );
  const writers = new Map<SinkTable, BatchWriter<Row>>(
    TABLE_SPECS.map((spec) => [
      spec.table,
      createBatchWriter<Row>({
        maxRows: options.settings.maxBatchRows,
        flushDelayMs: options.settings.flushDelayMs,
        insert: async (rows) => {
          const endTimer = metrics.insertSeconds.startTimer({
            table: spec.table,
          });
          await clickhouse.insert({
            table: `${database}.${spec.table}`,
            values: rows,
            format: "JSONEachRow",
          });
          endTimer();
          metrics.rowsInserted.inc({ table: spec.table }, rows.length);
        },
      }),
    ]),
  );
  /** Resume mode per `topic:partition`: bytes re-read so far, and whether a new row was seen. */
  const resuming = new Map<string, { bytes: number; sawNew: boolean }>();
  const resumed = new Set<string>();
  const lag = new Map<string, { table: SinkTable; lag: number }>();
  const stopping = new AbortController();
  let clickhouseHealthy = true;

  async function storedIds(
    spec: TableSpec,
    rows: readonly ParsedRow[],
  ): Promise<Set<string>> {
    let from = Infinity;
    let to = -Infinity;
    for (const row of rows) {
      from = Math.min(from, row.timeMs);
      to = Math.max(to, row.timeMs);
    }
    const result = await clickhouse.query({
      query: `SELECT ${spec.idColumn} AS id FROM ${database}.${spec.table}
        WHERE ${spec.timeColumn} BETWEEN fromUnixTimestamp64Milli({from:Int64})
          AND fromUnixTimestamp64Milli({to:Int64})
          AND ${spec.idColumn} IN {ids:Array(String)}`,
      query_params: {
        from: Math.floor(from),
        to: Math.ceil(to),
        ids: rows.map((r) => r.id),
      },
      format: "JSONEachRow",
    });
    return new Set((await result.json<{ id: string }>()).map((row) => row.id));
  }

  /** Inserts the batch's rows; in resume mode only those not stored yet, then repairs roll-ups. */
  async function insertBatch(
    spec: TableSpec,
    key: string,
    rows: readonly ParsedRow[],
    bytes: number,
  ): Promise<void> {
    const writer = writers.get(spec.table);
    if (resumed.has(key) || rows.length === 0) {
      await writer?.write(rows.map((row) => row.row));
      return;
    }
    const stored = await storedIds(spec, rows);
    const fresh = rows.filter((row) => !stored.has(row.id));
    metrics.duplicatesSkipped.inc(
      { table: spec.table },
      rows.length - fresh.length,
    );
    await writer?.write(fresh.map((row) => row.row));
    if (spec.hasRollups) await repairRollups(rows);
    const progress = resuming.get(key) ?? { bytes: 0, sawNew: false };
    progress.bytes += bytes;
    progress.sawNew ||= fresh.length > 0;
    resuming.set(key, progress);
    if (progress.sawNew && progress.bytes >= RESUME_BYTES) resumed.add(key);
  }

  async function repairRollups(rows: readonly ParsedRow[]): Promise<void> {
    const agents = new Map<string, readonly [string, string]>();
    let from = Infinity;
    let to = -Infinity;
    for (const row of rows) {
      if (row.agent) agents.set(JSON.stringify(row.agent), row.agent);
      from = Math.min(from, row.timeMs);
      to = Math.max(to, row.timeMs);
    }
    await rebuildRollups(clickhouse, database, [...agents.values()], from, to);
  }

  function parseAll(spec: TableSpec, payload: EachBatchPayload): ParsedRow[] {
    const rows: ParsedRow[] = [];
    for (const message of payload.batch.messages) {
      try {
        rows.push(spec.parse(message));
      } catch (error) {
        metrics.unparseable.inc({ table: spec.table });
        log.warn(
          {
            topic: payload.batch.topic,
            partition: payload.batch.partition,
            offset: message.offset,
            err: error,
          },
          "skipping a message that is not the topic's JSON record",
        );
      }
    }
    return rows;
  }

  /** Stores the batch, retrying until it succeeds; false when the batch was given up (stopping). */
  async function store(
    spec: TableSpec,
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const key = `${payload.batch.topic}:${payload.batch.partition}`;
    const parsed = parseAll(spec, payload);
    let bytes = 0;
    for (const message of payload.batch.messages)
      bytes += message.value?.length ?? 0;
    for (let attempt = 1; ; attempt += 1) {
      if (!payload.isRunning() || payload.isStale() || stopping.signal.aborted)
        return false;
      try {
        await insertBatch(spec, key, parsed, bytes);
        clickhouseHealthy = true;
        return true;
      } catch (error) {
        clickhouseHealthy = false;
        metrics.insertFailures.inc({ table: spec.table });
        const delayMs = backoffDelayMs(
          attempt,
          RETRY_INITIAL_MS,
          RETRY_MAX_DELAY_MS,
        );
        log.warn(
          { table: spec.table, attempt, delayMs, err: error },
          "insert failed; pausing this partition and retrying",
        );
        await payload.heartbeat().catch(() => undefined);
        await sleep(delayMs, stopping.signal).catch(() => undefined);
      }
    }
  }

  const consumer = options.kafka.consumer({
    groupId: names.groups.baseline,
    maxBytesPerPartition: RESUME_BYTES,
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    resuming.clear();
    resumed.clear();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({
      topics: Object.values(topicOf),
      fromBeginning: true,
    });
  } catch (error) {
    throw kafkaUnreachable(options.kafkaConfig, error);
  }
  await consumer.run({
    autoCommit: false,
    // Lets the per-table writers coalesce batches of several partitions into one insert.
    partitionsConsumedConcurrently: 16,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const spec = specByTopic.get(batch.topic);
      if (spec === undefined || batch.isEmpty()) return;
      if (!(await store(spec, payload))) return;
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.lastOffset()) + 1),
        },
      ]);
      lag.set(`${batch.topic}:${batch.partition}`, {
        table: spec.table,
        lag: Number(batch.offsetLag()),
      });
      await payload.heartbeat();
    },
  });
  return {
    consumer,
    readiness: {
      name: "clickhouse",
      check: async () => clickhouseHealthy && (await clickhouse.ping()).success,
    },
    lagByTable() {
      const totals = new Map<SinkTable, number>();
      for (const { table, lag: value } of lag.values())
        totals.set(table, (totals.get(table) ?? 0) + value);
      return totals;
    },
    async stop() {
      stopping.abort();
      await consumer.disconnect();
    },
  };
}
