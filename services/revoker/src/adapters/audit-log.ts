import type { Kafka, Producer } from "kafkajs";
import type { AuditRecord } from "../core/audit.js";

/**
 * A Kafka topic the revoker appends JSON records to. Records written within `lingerMs` go in
 * one batch; `write` resolves once its batch is acknowledged by all in-sync replicas, so
 * callers ack their input only after the record is durable.
 */
export interface RecordLog<T> {
  write(records: readonly T[]): Promise<void>;
  stop(): Promise<void>;
}

/** Writes audit records to `warden.revocations.v1` (key = agent id). */
export type AuditLog = RecordLog<AuditRecord>;

export function openAuditLog(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly lingerMs?: number;
  readonly onWritten?: (count: number) => void;
}): Promise<AuditLog> {
  return openRecordLog<AuditRecord>({
    ...options,
    key: (record) => record.agent_id,
  });
}

/** One idempotent producer per log; `key` picks the partition (and so the order kept). */
export async function openRecordLog<T>(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly key: (record: T) => string;
  readonly lingerMs?: number;
  readonly onWritten?: (count: number) => void;
}): Promise<RecordLog<T>> {
  const producer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const lingerMs = options.lingerMs ?? 20;
  let batch: { records: T[]; done: Promise<void> } | undefined;

  function flushLater(): { records: T[]; done: Promise<void> } {
    const records: T[] = [];
    const done = new Promise<void>((resolve) =>
      setTimeout(resolve, lingerMs),
    ).then(async () => {
      batch = undefined;
      await producer.send({
        topic: options.topic,
        acks: -1,
        messages: records.map((record) => ({
          key: options.key(record),
          value: JSON.stringify(record),
        })),
      });
      options.onWritten?.(records.length);
    });
    return { records, done };
  }

  return {
    async write(records) {
      if (records.length === 0) return;
      batch ??= flushLater();
      batch.records.push(...records);
      await batch.done;
    },
    async stop() {
      await batch?.done.catch(() => undefined);
      await producer.disconnect();
    },
  };
}
