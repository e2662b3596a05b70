import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import type { JetStreamManager, NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  type DecisionV1,
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import { canonicalEvent } from "./support/events.js";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

describe("detector with a dry-run policy", () => {
  const names = uniqueNames("detector-dry");
  const namespace = names.groups.detector.replace(/-warden-detector$/, "");
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let detector: RunningService;
  let opsPort: number;

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-dry-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    const policyFile = join(
      mkdtempSync(join(tmpdir(), "detector-dry-")),
      "policy.json",
    );
    writeFileSync(policyFile, JSON.stringify({ version: 1, dryRun: true }));
    opsPort = await freePort();
    detector = startService("services/detector/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      DETECTOR_BURST_MAX_CALLS: "5",
      DETECTOR_BURST_WINDOW: "10s",
      DETECTOR_POLICY_FILE: policyFile,
    });
  });
  afterAll(async () => {
    await detector.stop();
    await manager.streams.delete(names.decisionsStream).catch(() => undefined);
    await nats.drain();
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it("records the runaway's revoke on Kafka but never sends it to the revoker", async () => {
    const start = Date.now();
    const events = Array.from({ length: 8 }, (_, i) =>
      canonicalEvent("agent-dry", start + i * 100, i),
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: events.map((e) => ({
        key: e.agent.id,
        value: JSON.stringify(e),
      })),
    });
    await producer.disconnect();
    const recorded = await readTopic(kafka, names.topics.decisions, 1, 60_000);
    expect(recorded, detector.output()).toHaveLength(1);
    const decision = JSON.parse(
      recorded[0]?.value?.toString() ?? "{}",
    ) as DecisionV1;
    expect(decision).toMatchObject({ agent_id: "agent-dry", action: "revoke" });
    await eventually("the dry-run metric", async () =>
      (await scrapeMetric(opsPort, "warden_detector_dry_run_decisions_total", {
        action: "revoke",
      })) === 1
        ? true
        : undefined,
    );
    expect(
      (await manager.streams.info(names.decisionsStream)).state.messages,
    ).toBe(0);
    expect(await scrapeMetric(opsPort, "warden_detector_decisions_total")).toBe(
      0,
    );
  });
});
