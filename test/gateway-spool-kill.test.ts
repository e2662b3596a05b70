import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectAdmin, createKafka, ensureTopics } from "@warden/shared";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

/** A probe for `eventually` from a synchronous condition. */
const until = (condition: () => boolean) => (): Promise<true | undefined> =>
  Promise.resolve(condition() ? true : undefined);

const GATEWAY = "sdk/gateway/dist/examples/tool-gateway.js";
const CONCURRENCY = 8;

/** Calls the gateway until `answered` holds `target` more ids, keeping calls in flight throughout. */
async function traffic(
  port: number,
  answered: string[],
  target: number,
): Promise<void> {
  const goal = answered.length + target;
  let stop = false;
  const worker = async (lane: number): Promise<void> => {
    for (let call = 0; !stop; call += 1) {
      try {
        const response = await fetch(
          `http://127.0.0.1:${port}/tools/weather.get`,
          {
            method: "POST",
            headers: {
              authorization: `Bearer key-${lane}`,
              "x-agent-id": `agent-kill-${lane}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({ city: `city-${call}` }),
          },
        );
        const id = response.headers.get("x-warden-event-id");
        // Only an answered call counts: the gateway answers after the event is safe.
        if (response.status === 200 && id) answered.push(id);
        if (answered.length >= goal) stop = true;
      } catch {
        return; // the gateway is gone
      }
    }
  };
  const lanes = Array.from({ length: CONCURRENCY }, (_, lane) => worker(lane));
  await eventually(
    "the calls",
    until(() => answered.length >= goal),
    90_000,
  );
  // The lanes end on their own: at the goal, or when the gateway is killed under them.
  void Promise.all(lanes);
}

describe("the shipper's spool across kill -9 of the gateway", () => {
  const names = uniqueNames("gw-kill");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/u, "");
  const spoolDirectory = mkdtempSync(join(tmpdir(), "warden-gw-kill-"));
  const running: RunningService[] = [];
  afterAll(async () => {
    for (const service of running) await service.stop(2_000);
    rmSync(spoolDirectory, { recursive: true, force: true });
  });

  async function startGateway(
    brokers: string,
  ): Promise<{ service: RunningService; port: number }> {
    const port = await freePort();
    const service = startService(GATEWAY, {
      WARDEN_NAMESPACE: namespace,
      GATEWAY_PORT: String(port),
      GATEWAY_SPOOL_DIR: spoolDirectory,
      // This test is about the spool, and no revoker runs: no signed kill switch to check.
      WARDEN_KILL_SWITCH_UNSIGNED: "true",
      KAFKA_BROKERS: brokers,
      GATEWAY_SEND_TIMEOUT: "2s",
    });
    running.push(service);
    await eventually("the gateway to be ready", async () => {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(
        () => undefined,
      );
      return ready?.ok ? true : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${service.output()}`);
    });
    return { service, port };
  }

  async function kill9(service: RunningService): Promise<void> {
    const exited = new Promise((resolve) =>
      service.child.once("exit", resolve),
    );
    service.child.kill("SIGKILL");
    await exited;
  }

  it("loses no answered call's event: killed while Kafka is up, and while it is down", async () => {
    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const brokers = kafkaConfig.brokers.join(",");
    const answered: string[] = [];

    // 1. Warden reachable; killed with calls in flight.
    const first = await startGateway(brokers);
    await traffic(first.port, answered, 300);
    await kill9(first.service);

    // 2. Kafka unreachable (nothing listens there): events go to the spool; killed again.
    const second = await startGateway(`127.0.0.1:${await freePort()}`);
    await traffic(second.port, answered, 300);
    await kill9(second.service);
    const spooled = readdirSync(spoolDirectory)
      .filter((name) => name.endsWith(".seg"))
      .reduce(
        (bytes, name) => bytes + statSync(join(spoolDirectory, name)).size,
        0,
      );
    expect(spooled).toBeGreaterThan(0);

    // 3. Back with Kafka: the spool replays; a few more calls; a graceful stop.
    const third = await startGateway(brokers);
    await traffic(third.port, answered, 50);
    expect(await third.service.stop(), third.service.output()).toBe(0);

    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: `${namespace}-kill-reader` });
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.audit,
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.add(
          (
            JSON.parse(message.value?.toString() ?? "{}") as {
              event_id: string;
            }
          ).event_id,
        );
        return Promise.resolve();
      },
    });
    await eventually(
      "every answered event on the topic",
      until(() => answered.every((id) => seen.has(id))),
    ).catch(() => undefined);
    await consumer.disconnect();
    const missing = answered.filter((id) => !seen.has(id));
    expect(
      missing,
      `${missing.length} of ${answered.length} answered events missing`,
    ).toEqual([]);
    expect(new Set(answered).size).toBe(answered.length);
    expect(
      readdirSync(spoolDirectory).filter((name) => name.endsWith(".seg")),
    ).toEqual([]);

    await admin.deleteTopics({ topics: Object.values(names.topics) });
    await admin.disconnect();
  });
});
