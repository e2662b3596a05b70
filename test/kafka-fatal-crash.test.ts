import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  type Admin,
  type Kafka,
} from "kafkajs";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  stopOnFatalCrash,
} from "@warden/shared";
import { kafkaConfig, quietLogger, uniqueNames } from "./support/stack.js";

// A consumer kafkajs gave up on must stop its service (the supervisor restarts it); a crash
// kafkajs recovers from by itself must not. Real broker, real consumer group.
describe("stopOnFatalCrash", () => {
  const names = uniqueNames("fatal-crash");
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: quietLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: [{ key: "a", value: "x" }],
    });
    await producer.disconnect();
  });
  afterAll(async () => {
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
    process.exitCode = undefined;
  });

  async function crashWith(error: Error, group: string): Promise<string[]> {
    const consumer = kafka.consumer({
      groupId: `${names.groups.ingest}-${group}`,
      retry: { retries: 0 },
    });
    const stops: string[] = [];
    stopOnFatalCrash(consumer, {
      logger: quietLogger,
      stop: (reason) => {
        stops.push(reason);
        return Promise.resolve();
      },
    });
    const crashed = new Promise<void>((resolve) =>
      consumer.on(consumer.events.CRASH, () => resolve()),
    );
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.audit,
      fromBeginning: true,
    });
    await consumer.run({
      eachBatch: () => Promise.reject(error),
    });
    await crashed;
    await consumer.disconnect();
    return stops;
  }

  it("stops the service, exit code 1, when kafkajs will not restart the consumer", async () => {
    const stops = await crashWith(
      new KafkaJSNonRetriableError("out of order sequence number"),
      "fatal",
    );
    expect(stops).toEqual(["Kafka consumer crashed"]);
    expect(process.exitCode).toBe(1);
  });

  it("leaves the service running when kafkajs restarts the consumer itself", async () => {
    process.exitCode = undefined;
    const stops = await crashWith(
      new KafkaJSError("broker went away", { retriable: true }),
      "retriable",
    );
    expect(stops).toEqual([]);
    expect(process.exitCode).toBeUndefined();
  });
});
