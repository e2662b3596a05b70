import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Consumer, Kafka } from "kafkajs";
import {
  TOPIC_PARTITIONS,
  connectAdmin,
  connectNats,
  createClickHouse,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  openBaselinesBucket,
  readClickHouseConfig,
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";

// The facts the rest of Warden stands on, checked against the real servers.

describe("kafka (local KRaft broker)", () => {
  let kafka: Kafka;
  let admin: Admin;
  const names = uniqueNames("kafka");

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
  });
  afterAll(async () => {
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it("creates Warden's topics with their partition counts, idempotently", async () => {
    await ensureTopics(admin, names);
    await ensureTopics(admin, names);
    const metadata = await admin.fetchTopicMetadata({
      topics: [names.topics.audit, names.topics.auditDlq],
    });
    const partitions = Object.fromEntries(
      metadata.topics.map((topic) => [topic.name, topic.partitions.length]),
    );
    expect(partitions).toEqual({
      [names.topics.audit]: TOPIC_PARTITIONS.audit,
      [names.topics.auditDlq]: TOPIC_PARTITIONS.auditDlq,
    });
  });

  it("delivers every message to a consumer group across a rebalance, and resumes from committed offsets", async () => {
    await ensureTopics(admin, names);
    // Idempotent: a send retried after a timeout on a loaded broker must not write copies,
    // or the committed offsets would count them (seen 770 for 600).
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const total = 600;
    const send = (from: number, count: number) =>
      producer.send({
        topic: names.topics.audit,
        messages: Array.from({ length: count }, (_, i) => ({
          key: `agent-${(from + i) % 37}`,
          value: String(from + i),
        })),
      });
    await send(0, total / 2);

    const seen = new Set<string>();
    const consumers: Consumer[] = [];
    const startConsumer = async (): Promise<Consumer> => {
      const consumer = kafka.consumer({
        groupId: names.groups.ingest,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      await consumer.connect();
      await consumer.subscribe({
        topic: names.topics.audit,
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatch: async (payload) => {
          for (const message of payload.batch.messages) {
            seen.add(message.value?.toString() ?? "");
            payload.resolveOffset(message.offset);
          }
          const next = String(Number(payload.batch.lastOffset()) + 1);
          await payload.commitOffsetsIfNecessary({
            topics: [
              {
                topic: payload.batch.topic,
                partitions: [
                  { partition: payload.batch.partition, offset: next },
                ],
              },
            ],
          });
          await payload.heartbeat();
        },
      });
      consumers.push(consumer);
      return consumer;
    };
    const waitForAll = async (count: number): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (seen.size < count && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
    };

    await startConsumer();
    await waitForAll(total / 2);
    // A second member joins: the group rebalances and the second half is shared between them.
    await startConsumer();
    await send(total / 2, total / 2);
    await waitForAll(total);
    expect(seen.size).toBe(total);
    for (const consumer of consumers) await consumer.disconnect();

    const committed = await admin.fetchOffsets({
      groupId: names.groups.ingest,
      topics: [names.topics.audit],
    });
    const committedTotal = committed[0]?.partitions.reduce(
      (sum, partition) => sum + Number(partition.offset),
      0,
    );
    expect(committedTotal).toBe(total);
    await producer.disconnect();
    await admin.deleteGroups([names.groups.ingest]);
  });
});

describe("nats (JetStream)", () => {
  it("keeps decisions in a durable stream and baselines in a KV bucket", async () => {
    const names = uniqueNames("nats");
    const connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "stack-test",
    });
    const manager = await connection.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    await ensureDecisionsStream(manager, names);
    const js = connection.jetstream();
    const subject = names.decisionSubject("acme", "agent:ci/3.beta");
    expect(subject.endsWith(".acme.agent:ci/3%2Ebeta")).toBe(true);
    const first = await js.publish(subject, "d1", { msgID: "decision-1" });
    const again = await js.publish(subject, "d1", { msgID: "decision-1" });
    expect(again.duplicate).toBe(true);
    expect(
      (await manager.streams.info(names.decisionsStream)).state.messages,
    ).toBe(1);
    expect(first.seq).toBe(1);

    const bucket = await openBaselinesBucket(connection, names);
    await bucket.put("acme.agent", "baseline-v1");
    expect((await bucket.get("acme.agent"))?.string()).toBe("baseline-v1");

    await manager.streams.delete(names.decisionsStream);
    await bucket.destroy();
    await connection.drain();
  });
});

describe("clickhouse (embedded chDB through @clickhouse/client)", () => {
  it("creates the database and runs the same SQL as a server would", async () => {
    const path = mkdtempSync(join(tmpdir(), "warden-chdb-"));
    const client = await createClickHouse(
      readClickHouseConfig({
        CLICKHOUSE_DATABASE: "warden_test",
        CHDB_PATH: path,
      }),
    );
    await client.command({
      query:
        "CREATE TABLE warden_test.probe (id String, n UInt32) ENGINE = ReplacingMergeTree ORDER BY id",
    });
    await client.insert({
      table: "warden_test.probe",
      values: [
        { id: "a", n: 1 },
        { id: "b", n: 2 },
      ],
      format: "JSONEachRow",
    });
    const rows = await (
      await client.query({
        query: "SELECT sum(n) AS total FROM warden_test.probe",
        format: "JSONEachRow",
      })
    ).json();
    expect(rows).toEqual([{ total: 3 }]);
    await client.close();
    rmSync(path, { recursive: true, force: true });
  });
});
