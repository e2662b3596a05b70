import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { committedTotal, readTopic } from "./support/kafka.js";
import { startService, type RunningService } from "./support/service.js";

const lines = (file: string): string[] =>
  readFileSync(
    new URL(`../shared/contracts/examples/${file}`, import.meta.url),
    "utf8",
  )
    .split("\n")
    .filter((line) => line.trim() !== "");

describe("ingest service over the real broker", () => {
  const { names, namespace, kafka, admin } = useKafkaNamespace("ingest");

  let service: RunningService;
  beforeAll(() => {
    service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
    });
  });
  afterAll(() => service.stop());

  it("forwards the good examples keyed by agent, dead-letters the bad ones with exact bytes and a reason, and stops cleanly", async () => {
    const good = lines("audit-events.ndjson");
    const bad = lines("bad-events.ndjson");
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: [...good, ...bad].map((value) => ({
        key: "gateway-test",
        value,
      })),
    });
    await producer.disconnect();

    const events = await readTopic(kafka(), names.topics.events, good.length);
    const deadLetters = await readTopic(
      kafka(),
      names.topics.auditDlq,
      bad.length,
    );
    expect(events, service.output()).toHaveLength(good.length);
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

    expect(await service.stop(), service.output()).toBe(0);
    expect(
      await committedTotal(admin(), names.groups.ingest, names.topics.audit),
    ).toBe(good.length + bad.length);
  });
});
