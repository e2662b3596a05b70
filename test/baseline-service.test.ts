import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createClickHouse,
  createKafka,
  ensureTopics,
  readClickHouseConfig,
  sleep,
} from "@warden/shared";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";
import { canonicalEvent } from "./support/events.js";
import { committedTotal } from "./support/kafka.js";

describe("baseline service over the real broker and embedded ClickHouse", () => {
  const names = uniqueNames("baseline");
  const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-"));
  let kafka: Kafka;
  let admin: Admin;
  let child: ChildProcess;
  let output = "";

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    child = spawn(process.execPath, ["services/baseline/dist/main.js"], {
      env: {
        ...process.env,
        WARDEN_NAMESPACE: namespace,
        WARDEN_OPS_PORT: "0",
        WARDEN_LOG_LEVEL: "info",
        CHDB_PATH: chdbPath,
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
    rmSync(chdbPath, { recursive: true, force: true });
  });

  it("inserts consumed events, commits after the insert, and stops cleanly", async () => {
    const start = Date.now();
    const events = [
      canonicalEvent("agent-a", start, 0),
      canonicalEvent("agent-a", start + 1, 1),
      canonicalEvent("agent-b", start + 2, 2),
    ];
    // Idempotent, so a retried send under a leader change cannot add copies.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: events.map((e) => ({
        key: e.agent.id,
        value: JSON.stringify(e),
      })),
    });
    await producer.disconnect();

    const deadline = Date.now() + 60_000;
    let total = 0;
    while (Date.now() < deadline) {
      total = await committedTotal(
        admin,
        names.groups.baseline,
        names.topics.events,
      );
      if (total >= events.length) break;
      await sleep(250);
    }
    expect(total, output).toBe(events.length);

    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    expect(code, output).toBe(0);

    const config = readClickHouseConfig({ CHDB_PATH: chdbPath });
    const clickhouse = await createClickHouse(config);
    try {
      const count = await clickhouse.query({
        query: `SELECT count() AS n FROM ${config.database}.events`,
        format: "JSONEachRow",
      });
      const [row] = await count.json<{ n: string | number }>();
      expect(Number(row?.n)).toBe(events.length);
      const ids = await clickhouse.query({
        query: `SELECT event_id FROM ${config.database}.events ORDER BY event_id`,
        format: "JSONEachRow",
      });
      expect(
        (await ids.json<{ event_id: string }>()).map((r) => r.event_id),
      ).toEqual(events.map((e) => e.event_id).sort());
    } finally {
      await clickhouse.close();
    }
  });
});
