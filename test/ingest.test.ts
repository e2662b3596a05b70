import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import { connectAdmin, createKafka, ensureTopics } from "@warden/shared";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";
import { readTopic } from "./support/kafka.js";

const lines = (file: string): string[] =>
  readFileSync(
    new URL(`../shared/contracts/examples/${file}`, import.meta.url),
    "utf8",
  )
    .split("\n")
    .filter((line) => line.trim() !== "");

describe("ingest service over the real broker", () => {
  const names = uniqueNames("ingest");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/, "");
  let kafka: Kafka;
  let admin: Admin;
  let child: ChildProcess;
  let output = "";

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    child = spawn(process.execPath, ["services/ingest/dist/main.js"], {
      env: {
        ...process.env,
        WARDEN_NAMESPACE: namespace,
        WARDEN_OPS_PORT: "0",
        WARDEN_LOG_LEVEL: "info",
      },
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it("forwards the good examples keyed by agent, dead-letters the bad ones with exact bytes and a reason, and stops cleanly", async () => {
    const good = lines("audit-events.ndjson");
    const bad = lines("bad-events.ndjson");
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: [...good, ...bad].map((value) => ({
        key: "gateway-test",
        value,
      })),
    });
    await producer.disconnect();

    const events = await readTopic(kafka, names.topics.events, good.length);
    const deadLetters = await readTopic(
      kafka,
      names.topics.auditDlq,
      bad.length,
    );
    expect(events, output).toHaveLength(good.length);
    expect(events.map((message) => message.key?.toString()).sort()).toEqual([
      "agent:ci/3",
      "agent:legal-review/19",
      "agent:support-bot/7f3a",
    ]);
    expect(JSON.parse(events[0]?.value?.toString() ?? "{}")).toMatchObject({
      schema: "agent-event/v1",
    });
    expect(
      deadLetters.map((message) => message.value?.toString()).sort(),
    ).toEqual([...bad].sort());
    expect(
      deadLetters
        .map((message) => message.headers?.["warden-reason"]?.toString())
        .sort(),
    ).toEqual([
      "invalid_json",
      "schema_violation",
      "schema_violation",
      "schema_violation",
      "schema_violation",
      "schema_violation",
      "unsupported_schema_version",
    ]);

    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    expect(code, output).toBe(0);
    const committed = await admin.fetchOffsets({
      groupId: names.groups.ingest,
      topics: [names.topics.audit],
    });
    const total = committed[0]?.partitions.reduce(
      (sum, partition) => sum + Math.max(0, Number(partition.offset)),
      0,
    );
    expect(total).toBe(good.length + bad.length);
  });
});
