import type { Kafka, Producer } from "kafkajs";
import type { AuditRecord } from "../core/audit.js";

/**
 * Writes audit records to `warden.revocations.v1` (key = agent id). Records written within
 * `lingerMs` go in one batch; `write` resolves once its batch is acknowledged by all
 * in-sync replicas, so callers ack their input only after the audit is durable.
 */
export interface AuditLog {
  write(records: readonly AuditRecord[]): Promise<void>;
  stop(): Promise<void>;
}

export async function openAuditLog(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly lingerMs?: number;
  readonly onWritten?: (count: number) => void;
}): Promise<AuditLog> {
  const producer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const lingerMs = options.lingerMs ?? 20;
  let batch: { records: AuditRecord[]; done: Promise<void> } | undefined;

  function flushLater(): { records: AuditRecord[]; done: Promise<void> } {
    const records: AuditRecord[] = [];
    const done = new Promise<void>((resolve) =>
      setTimeout(resolve, lingerMs),
    ).then(async () => {
      batch = undefined;
      await producer.send({
        topic: options.topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.agent_id,
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
