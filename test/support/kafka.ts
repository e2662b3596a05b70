import type { Admin, Kafka, KafkaMessage } from "kafkajs";
import { retry } from "@warden/shared";

/** Reads `topic` from the beginning until `count` messages arrived or `timeoutMs` passed. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: KafkaMessage[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: ({ message }) => {
        messages.push(message);
        if (messages.length >= count) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

/** The sum of a group's committed offsets over the partitions of `topic`. */
export async function committedTotal(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<number> {
  const committed = await retry(() =>
    admin.fetchOffsets({ groupId, topics: [topic] }),
  );
  return (
    committed[0]?.partitions.reduce(
      (sum, partition) => sum + Math.max(0, Number(partition.offset)),
      0,
    ) ?? 0
  );
}

/** Exactly how many messages `topic` holds (high minus low watermark, summed over partitions). */
export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const offsets = await retry(() => admin.fetchTopicOffsets(topic));
  return offsets.reduce(
    (sum, partition) => sum + Number(partition.high) - Number(partition.low),
    0,
  );
}
