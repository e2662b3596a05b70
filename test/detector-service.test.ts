import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import type { JetStreamManager, NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  sleep,
  type DecisionV1,
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import { agentEvent } from "./support/detector-events.js";
import { readTopic } from "./support/kafka.js";

describe("detector service over the real broker and NATS", () => {
  const names = uniqueNames("detector");
  const namespace = names.groups.detector.replace(/-warden-detector$/, "");
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let child: ChildProcess;
  let output = "";

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    child = spawn(process.execPath, ["services/detector/dist/main.js"], {
      env: {
        ...process.env,
        WARDEN_NAMESPACE: namespace,
        WARDEN_OPS_PORT: "0",
        WARDEN_LOG_LEVEL: "info",
        DETECTOR_BURST_MAX_CALLS: "5",
        DETECTOR_BURST_WINDOW: "10s",
      },
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await manager.streams.delete(names.decisionsStream).catch(() => undefined);
    await nats.drain();
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it("revokes a bursting agent once, on JetStream and Kafka, and stops cleanly", async () => {
    const start = Date.now();
    const events = [
      ...Array.from({ length: 8 }, (_, i) =>
        agentEvent("agent-burst", start + i * 100, i),
      ),
      agentEvent("agent-calm", start, 0),
      agentEvent("agent-calm", start + 500, 1),
    ];
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

    const deadline = Date.now() + 60_000;
    let stored = 0;
    while (Date.now() < deadline) {
      stored = (await manager.streams.info(names.decisionsStream)).state
        .messages;
      if (stored >= 1) break;
      await sleep(250);
    }
    expect(stored, output).toBe(1);
    const stored1 = await manager.streams.getMessage(names.decisionsStream, {
      seq: 1,
    });
    const decision = stored1.json<DecisionV1>();
    expect(decision).toMatchObject({
      action: "revoke",
      agent_id: "agent-burst",
      tenant: "acme",
      trigger_event_id: "event-agent-burst-5",
    });
    expect(stored1.subject).toBe(names.decisionSubject("acme", "agent-burst"));

    const onKafka = await readTopic(kafka, names.topics.decisions, 2, 5_000);
    expect(onKafka, output).toHaveLength(1);
    expect(onKafka[0]?.key?.toString()).toBe("agent-burst");
    expect(JSON.parse(onKafka[0]?.value?.toString() ?? "{}")).toEqual(decision);

    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    expect(code, output).toBe(0);
    expect(
      (await manager.streams.info(names.decisionsStream)).state.messages,
    ).toBe(1);
  });
});
