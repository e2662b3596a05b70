import { randomBytes } from "node:crypto";
import type { Admin, Kafka } from "kafkajs";
import { chunkBySize } from "../core/chunk.js";
import { retry, type WardenNames } from "@warden/shared";
import { toDeadLetter, type DeadLetter } from "../core/dead-letter-view.js";

/**
 * `warden dlq` against the cluster: agent.audit.dlq read to its end and chosen records
 * produced back to agent.audit.v1, byte for byte.
 */

/** Marks re-submitted messages, so a loop of re-submissions is traceable. */
export const RESUBMITTED_FROM_HEADER = "warden-resubmitted-from";

/**
 * Everything on the DLQ up to its end at the time of the call. Reads with a throw-away
 * consumer group (deleted afterwards) so it never moves anyone's offsets.
 */
export async function readDeadLetters(
  kafka: Kafka,
  admin: Admin,
  names: WardenNames,
): Promise<DeadLetter[]> {
  const topic = names.topics.auditDlq;
  const ends = await retry(() => admin.fetchTopicOffsets(topic));
  const remaining = new Map(
    ends
      .filter((end) => Number(end.high) > Number(end.low))
      .map((end) => [end.partition, Number(end.high)]),
  );
  if (remaining.size === 0) return [];
  const groupId = `${names.groups.ingest}-dlq-reader-${randomBytes(4).toString("hex")}`;
  const consumer = kafka.consumer({ groupId });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) =>
        reject(event.payload.error),
      );
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end !== undefined && Number(message.offset) < end)
            letters.push(toDeadLetter(message));
          if (end !== undefined && Number(message.offset) >= end - 1)
            remaining.delete(partition);
          if (remaining.size === 0) resolve();
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return letters.sort((a, b) => Number(a.offset) - Number(b.offset));
}

/** Produces the original bytes (and key) of `letters` back to agent.audit.v1. */
export async function resubmitDeadLetters(
  kafka: Kafka,
  names: WardenNames,
  letters: readonly DeadLetter[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = letters.map((letter) => ({
      key: letter.key,
      value: letter.value,
      headers: {
        [RESUBMITTED_FROM_HEADER]: `${names.topics.auditDlq}@${letter.offset}`,
      },
    }));
    for (const chunk of chunkBySize(messages))
      await producer.send({
        topic: names.topics.audit,
        messages: chunk,
        acks: -1,
      });
  } finally {
    await producer.disconnect();
  }
}
