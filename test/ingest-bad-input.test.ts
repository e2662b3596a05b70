import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { chunkBySize } from "@warden/ingest";
import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { hostileMessage } from "../services/ingest/src/core/hostile-input.js";
import { readTopic, topicSize } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

const badExamples = readFileSync(
  new URL("../shared/contracts/examples/bad-events.ndjson", import.meta.url),
  "utf8",
)
  .split("\n")
  .filter((line) => line.trim() !== "");

// Hostile input at the running service: nothing crashes it, nothing disappears, and its
// counters agree with what is on the topics.
describe("ingest under hostile input", () => {
  const { names, namespace, kafka, admin } = useKafkaNamespace("ingest-bad");

  let service: RunningService;
  let opsPort: number;

  beforeAll(async () => {
    opsPort = await freePort();
    service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
    });
  });
  afterAll(async () => {
    await service.stop();
  });

  it("accepts or dead-letters every message, exactly, and the counts add up", async () => {
    const generated = fc.sample(hostileMessage(), {
      numRuns: 400,
      seed: 20261123,
    });
    // Every third message is sent twice, so duplicates are exercised too.
    const sent = [
      ...badExamples.map((line) => Buffer.from(line)),
      ...generated.map((bytes) => Buffer.from(bytes)),
      ...generated
        .filter((_, index) => index % 3 === 0)
        .map((bytes) => Buffer.from(bytes)),
    ];
    const producer = kafka().producer();
    await producer.connect();
    for (const chunk of chunkBySize(
      sent.map((value) => ({ key: "gateway-fuzz", value })),
    ))
      await producer.send({ topic: names.topics.audit, messages: chunk });
    await producer.disconnect();

    await eventually(
      "ingest to count every message",
      async () =>
        (await scrapeMetric(opsPort, "warden_ingest_received_total").catch(
          () => 0,
        )) === sent.length
          ? true
          : undefined,
      90_000,
    );
    const accepted = await scrapeMetric(
      opsPort,
      "warden_ingest_accepted_total",
    );
    const rejected = await scrapeMetric(
      opsPort,
      "warden_ingest_rejected_total",
    );
    const duplicates = await scrapeMetric(
      opsPort,
      "warden_ingest_duplicates_total",
    );
    expect(accepted + rejected + duplicates).toBe(sent.length);
    expect(rejected).toBeGreaterThan(badExamples.length);
    expect(duplicates).toBeGreaterThan(0);
    expect(await topicSize(admin(), names.topics.events)).toBe(accepted);
    expect(await topicSize(admin(), names.topics.auditDlq)).toBe(rejected);

    const deadLetters = await readTopic(
      kafka(),
      names.topics.auditDlq,
      rejected,
    );
    const sentBytes = new Set(sent.map((bytes) => bytes.toString("base64")));
    for (const letter of deadLetters) {
      expect(
        sentBytes.has((letter.value ?? Buffer.alloc(0)).toString("base64")),
      ).toBe(true);
      expect(letter.headers?.["warden-reason"]?.toString()).toMatch(
        /^(too_large|invalid_json|unsupported_schema_version|schema_violation|time_in_future)$/,
      );
      expect(
        letter.headers?.["warden-detail"]?.toString().length,
      ).toBeGreaterThan(0);
    }
    for (const example of badExamples)
      expect(
        deadLetters.some((letter) => letter.value?.toString() === example),
      ).toBe(true);
    expect(service.child.exitCode, service.output()).toBeNull();
  });
});
