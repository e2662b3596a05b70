import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import type { JetStreamManager, KV, NatsConnection } from "nats";
import {
  agentBaselineKey,
  connectAdmin,
  connectNats,
  createKafka,
  encodeBaseline,
  ensureDecisionsStream,
  ensureTopics,
  openBaselinesBucket,
  VOCABULARY_DIMENSIONS,
  type BaselineModel,
  type CanonicalEvent,
  type DecisionV1,
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import { canonicalEvent } from "./support/events.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

/** A trusted baseline whose busiest minute is 10 calls: the burst limit becomes max(20, 3 × 10) = 30. */
function steadyBaseline(agentId: string, computedAtMs: number): BaselineModel {
  const stats = { median: 5, mad: 1, p95: 10, p99: 10, max: 10 };
  const vocabulary = { distinct: 1, total: 100, top: [["x", 100]] as const };
  return {
    version: 1,
    scope: { level: "agent", tenant: "acme", agentId, agentKind: "" },
    computedAtMs,
    windowStartMs: computedAtMs - 86_400_000,
    windowEndMs: computedAtMs,
    history: {
      events: 10_000,
      agents: 1,
      firstSeenMs: computedAtMs - 86_400_000,
      lastSeenMs: computedAtMs,
      activeMinutes: 1_000,
      activeHours: 24,
    },
    trusted: true,
    ratePerMinute: stats,
    ratePerHour: stats,
    hourOfWeek: null,
    activeHoursOfDay: 0xffffff,
    bytesPerCall: stats,
    bytesPerHour: stats,
    bytesPerCallByVerb: {},
    bytesPerCallBySensitivity: {},
    deniedRate: 0,
    errorRate: 0,
    maxChainDepth: 1,
    vocabulary: Object.fromEntries(
      VOCABULARY_DIMENSIONS.map((d) => [
        d,
        d === "verbs" ? { ...vocabulary, top: [["read", 100]] } : vocabulary,
      ]),
    ) as unknown as BaselineModel["vocabulary"],
  };
}

describe("detector with baselines from the KV bucket and a policy file", () => {
  const names = uniqueNames("detector-kv");
  const namespace = names.groups.detector.replace(/-warden-detector$/, "");
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let bucket: KV;
  let detector: RunningService;
  let opsPort: number;

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-kv-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    bucket = await openBaselinesBucket(nats, names);
    await bucket.put(
      agentBaselineKey("acme", "steady"),
      encodeBaseline(steadyBaseline("steady", Date.now() - 60_000)),
    );
    const policyFile = join(
      mkdtempSync(join(tmpdir(), "detector-kv-")),
      "policy.json",
    );
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 1,
        suppressions: [{ id: "allow-maintenance", agent: "maintenance" }],
      }),
    );
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
    await bucket.destroy().catch(() => undefined);
    await nats.drain();
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  async function send(events: readonly CanonicalEvent[]): Promise<void> {
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
  }

  // Each agent its own credential: one credential shared by agents is itself a finding.
  const calls = (agentId: string, n: number, start: number) =>
    Array.from({ length: n }, (_, i) => ({
      ...canonicalEvent(agentId, start + i * 50, i),
      credential: { id: `key-${agentId}`, type: "api_key" as const },
    }));

  it("limits by each agent's baseline, follows KV updates, and counts suppressions", async () => {
    await eventually("the detector to load the baseline", async () =>
      (await scrapeMetric(opsPort, "warden_detector_baselines").catch(
        () => 0,
      )) >= 1
        ? true
        : undefined,
    );
    // A second baseline arriving while the service runs.
    await bucket.put(
      agentBaselineKey("acme", "late"),
      encodeBaseline(steadyBaseline("late", Date.now() - 60_000)),
    );
    await eventually("the KV update", async () =>
      (await scrapeMetric(opsPort, "warden_detector_baselines")) >= 2
        ? true
        : undefined,
    );
    const start = Date.now();
    const events = [
      ...calls("steady", 12, start),
      ...calls("late", 12, start),
      ...calls("maintenance", 8, start),
      ...calls("cold", 8, start),
    ];
    await send(events);
    await eventually("every event scored", async () =>
      (await scrapeMetric(opsPort, "warden_detector_events_total")) >=
      events.length
        ? true
        : undefined,
    );
    const stored = (await manager.streams.info(names.decisionsStream)).state
      .messages;
    const decisions: DecisionV1[] = [];
    for (let seq = 1; seq <= stored; seq++)
      decisions.push(
        (
          await manager.streams.getMessage(names.decisionsStream, { seq })
        ).json<DecisionV1>(),
      );
    expect(
      decisions.map(
        (d) =>
          `${d.agent_id} ${d.action}: ${d.reasons.map((r) => r.summary).join(" / ")}`,
      ),
    ).toEqual([
      "cold revoke: 6 calls in 10 s; the absolute limit is 5 per 10 s",
    ]);
    expect(
      await scrapeMetric(opsPort, "warden_detector_suppressed_total", {
        rule: "allow-maintenance",
      }),
    ).toBe(1);
    expect(
      await scrapeMetric(opsPort, "warden_detector_decisions_total", {
        action: "revoke",
        detector: "burst",
      }),
    ).toBe(1);
  });
});
