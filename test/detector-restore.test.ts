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
import { agentEvent } from "./support/detector-events.js";
import { committedTotal, readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

describe("detector state restore after a restart", () => {
  const names = uniqueNames("detector-restore");
  const namespace = names.groups.detector.replace(/-warden-detector$/, "");
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let detector: RunningService | undefined;

  async function start(env: Record<string, string> = {}): Promise<number> {
    const opsPort = await freePort();
    detector = startService("services/detector/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      DETECTOR_BURST_MAX_CALLS: "5",
      DETECTOR_BURST_WINDOW: "10s",
      ...env,
    });
    return opsPort;
  }

  async function send(agent: string, from: number, count: number, t0: number) {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: Array.from({ length: count }, (_, i) =>
        agentEvent(agent, t0 + (from + i) * 100, from + i),
      ).map((e) => ({ key: e.agent.id, value: JSON.stringify(e) })),
    });
    await producer.disconnect();
  }

  const committed = () =>
    committedTotal(admin, names.groups.detector, names.topics.events);

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-restore-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
  });
  afterAll(async () => {
    await detector?.stop();
    await manager.streams.delete(names.decisionsStream).catch(() => undefined);
    await nats.drain();
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it("re-reads the tail so that a burst spanning the restart is still caught", async () => {
    const t0 = Date.now();
    await start();
    // Four calls: under the limit of five per 10 s.
    await send("agent-restored", 0, 4, t0);
    await eventually("the four events committed", async () =>
      (await committed()) >= 4 ? true : undefined,
    );
    expect(await detector?.stop()).toBe(0);

    const opsPort = await start();
    // Two more within the same 10 s of event time: six in all, but only with the first four.
    await send("agent-restored", 4, 2, t0);
    const [decision] = await readTopic(
      kafka,
      names.topics.decisions,
      1,
      60_000,
    );
    expect(decision, detector?.output()).toBeDefined();
    const parsed = JSON.parse(
      decision?.value?.toString() ?? "{}",
    ) as DecisionV1;
    expect(parsed).toMatchObject({
      agent_id: "agent-restored",
      action: "revoke",
      trigger_event_id: "event-agent-restored-5",
    });
    expect(parsed.reasons[0]?.summary).toBe(
      "6 calls in 10 s; the absolute limit is 5 per 10 s",
    );
    expect(
      await scrapeMetric(opsPort, "warden_detector_restored_events_total"),
    ).toBe(4);
    expect(await scrapeMetric(opsPort, "warden_detector_events_total")).toBe(2);
    await eventually("all six committed", async () =>
      (await committed()) >= 6 ? true : undefined,
    );
  });
});
