import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { connectAdmin, createKafka, ensureTopics } from "@warden/shared";
import {
  createEventBuilder,
  createHttpSink,
  createShipper,
} from "@warden/gateway-sdk";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

// The shipper's HTTP sink against Warden's own HTTP ingest (services/ingest, cluster mode):
// events posted before the ingest is up wait in the spool, then every one reaches agent.events.v1.
describe("the shipper over Warden's HTTP ingest", () => {
  const names = uniqueNames("gw-http-ingest");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/u, "");
  const spoolDirectory = mkdtempSync(join(tmpdir(), "warden-gw-http-ingest-"));
  const services: RunningService[] = [];
  afterAll(async () => {
    for (const service of services) await service.stop();
    rmSync(spoolDirectory, { recursive: true, force: true });
  });

  it("delivers every event, including those spooled while the ingest was down", async () => {
    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const port = await freePort();
    const token = "gateway-test-token";
    const url = `http://127.0.0.1:${port}/v1/events`;
    const builder = createEventBuilder({ tenant: "acme", gateway: "gw-test" });
    const shipper = createShipper({
      sink: createHttpSink({ url, token }),
      spoolDirectory,
      logger: pino({ level: "silent" }),
      retryInitialMs: 50,
      retryMaxDelayMs: 500,
    });
    await shipper.start();
    const events = Array.from({ length: 250 }, (_, i) =>
      builder.build({
        agent: { id: `agent-http-${i % 5}` },
        credential: { id: "key-http", type: "api_key" },
        action: { name: "weather.get", verb: "read" },
        outcome: "success",
      }),
    );
    // Nothing listens yet: these are spooled, and ship() still resolves once they are on disk.
    await Promise.all(events.slice(0, 50).map((event) => shipper.ship(event)));
    expect(shipper.stats().spoolBytes).toBeGreaterThan(0);

    const ingest = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      INGEST_HTTP_ENABLED: "true",
      INGEST_HTTP_PORT: String(port),
      INGEST_GATEWAY_TOKENS: `gw-test:${createHash("sha256").update(token).digest("hex")}:acme`,
    });
    services.push(ingest);
    await Promise.all(events.slice(50).map((event) => shipper.ship(event)));
    await eventually("the spool to drain", () =>
      Promise.resolve(shipper.stats().spoolBytes === 0 ? true : undefined),
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${ingest.output()}`);
    });
    await shipper.stop();

    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: `${namespace}-http-reader` });
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.events,
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
    await eventually("every event through the ingest", () =>
      Promise.resolve(
        events.every((e) => seen.has(e.event_id)) ? true : undefined,
      ),
    ).catch(() => undefined);
    await consumer.disconnect();
    expect(events.filter((e) => !seen.has(e.event_id))).toEqual([]);

    expect(await ingest.stop(), ingest.output()).toBe(0);
    await admin.deleteTopics({ topics: Object.values(names.topics) });
    await admin.disconnect();
  });
});
