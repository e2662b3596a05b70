import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
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
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import { agentEvent } from "./support/detector-events.js";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

describe("detector policy hot reload", () => {
  const names = uniqueNames("detector-reload");
  const namespace = names.groups.detector.replace(/-warden-detector$/, "");
  const dir = mkdtempSync(join(tmpdir(), "detector-reload-"));
  const policyFile = join(dir, "policy.json");
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let detector: RunningService;
  let opsPort: number;

  /** Replaces the file the way editors and config management do: write aside, rename over. */
  function writePolicy(text: string): void {
    const aside = join(dir, `.policy-${Date.now()}.tmp`);
    writeFileSync(aside, text);
    renameSync(aside, policyFile);
  }

  async function runaway(agent: string): Promise<void> {
    const start = Date.now();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: Array.from({ length: 8 }, (_, i) =>
        agentEvent(agent, start + i * 100, i),
      ).map((e) => ({ key: e.agent.id, value: JSON.stringify(e) })),
    });
    await producer.disconnect();
  }

  const reloads = (result: string) =>
    scrapeMetric(opsPort, "warden_detector_policy_reloads_total", { result });
  const onJetStream = async () =>
    (await manager.streams.info(names.decisionsStream)).state.messages;

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-reload-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
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

  it("refuses a bad file and keeps the policy in force, then applies a good one", async () => {
    await runaway("agent-one");
    expect(
      await readTopic(kafka, names.topics.decisions, 1, 60_000),
    ).toHaveLength(1);
    expect(await onJetStream()).toBe(0);

    // Version 3 does not exist: rejected, logged, counted; still dry-run.
    writePolicy(JSON.stringify({ version: 3, dryRun: false }));
    await eventually("the rejection", async () =>
      (await reloads("rejected")) >= 1 ? true : undefined,
    );
    expect(detector.output()).toContain("policy file rejected");
    expect(detector.output()).toContain("/version");
    await runaway("agent-two");
    // The reader's group resumes where the last read stopped: this is the next decision.
    const next = await readTopic(kafka, names.topics.decisions, 1, 60_000);
    expect(next, detector.output()).toHaveLength(1);
    expect(next[0]?.key?.toString()).toBe("agent-two");
    expect(await onJetStream()).toBe(0);
    expect(await reloads("applied")).toBe(0);

    // A valid file turns dry-run off: the next runaway reaches the revoker's stream.
    writePolicy(JSON.stringify({ version: 2, dryRun: false }));
    await eventually("the reload", async () =>
      (await reloads("applied")) === 1 ? true : undefined,
    );
    await runaway("agent-three");
    await eventually("the decision on JetStream", async () =>
      (await onJetStream()) === 1 ? true : undefined,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${detector.output()}`);
    });
    expect(detector.output()).not.toContain("detector stopped unexpectedly");
  });
});
