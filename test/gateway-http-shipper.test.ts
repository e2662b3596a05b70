import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Registry } from "prom-client";
import {
  createEventBuilder,
  createHttpSink,
  createShipper,
  ShipRefusedError,
  type AuditEventV1,
} from "@warden/gateway-sdk";
import { eventually } from "./support/service.js";

/** A probe for `eventually` from a synchronous condition. */
const until = (condition: () => boolean) => (): Promise<true | undefined> =>
  Promise.resolve(condition() ? true : undefined);

/** A stand-in for Warden's HTTP ingest on loopback: records NDJSON lines, can fail or hang on demand. */
interface FakeIngest {
  url: string;
  lines: string[];
  authorizations: string[];
  mode: "accept" | "fail" | "hang";
  close(): Promise<void>;
}

async function startIngest(): Promise<FakeIngest> {
  const ingest: Omit<FakeIngest, "url" | "close"> = {
    lines: [],
    authorizations: [],
    mode: "accept",
  };
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      ingest.authorizations.push(request.headers.authorization ?? "");
      if (ingest.mode === "hang") return;
      if (ingest.mode === "fail") {
        response.writeHead(503).end();
        return;
      }
      const lines = body.split("\n").filter((line) => line !== "");
      ingest.lines.push(...lines);
      response
        .writeHead(202, { "content-type": "application/json" })
        .end(JSON.stringify({ accepted: lines.length, rejected: 0 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return Object.assign(ingest, {
    url: `http://127.0.0.1:${port}/v1/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const builder = createEventBuilder({ tenant: "acme", gateway: "gw-test" });
const event = (index: number): AuditEventV1 =>
  builder.build({
    agent: { id: `agent-${index % 7}` },
    credential: { id: "key-1", type: "api_key" },
    action: { name: "weather.get", verb: "read" },
    outcome: "success",
    records: index,
  });
const ids = (lines: string[]): string[] =>
  lines.map((line) => (JSON.parse(line) as { event_id: string }).event_id);

describe("the shipper over HTTP", () => {
  let ingest: FakeIngest;
  let spoolDirectory: string;
  const logger = pino({ level: "silent" });
  beforeEach(async () => {
    ingest = await startIngest();
    spoolDirectory = await mkdtemp(join(tmpdir(), "warden-gw-http-"));
  });
  afterEach(async () => {
    await ingest.close();
    await rm(spoolDirectory, { recursive: true, force: true });
  });

  it("delivers every event with the bearer token, through an outage, via the spool", async () => {
    const registry = new Registry();
    const shipper = createShipper({
      sink: createHttpSink({ url: ingest.url, token: "s3cret" }),
      spoolDirectory,
      logger,
      registry,
      retryInitialMs: 20,
      retryMaxDelayMs: 100,
      sendTimeoutMs: 1_000,
    });
    await shipper.start();
    const sent: string[] = [];
    const shipAll = async (from: number, count: number): Promise<void> => {
      const events = Array.from({ length: count }, (_, i) => event(from + i));
      sent.push(...events.map((e) => e.event_id));
      await Promise.all(events.map((e) => shipper.ship(e)));
    };
    await shipAll(0, 50);
    expect(ids(ingest.lines)).toEqual(sent);

    ingest.mode = "fail";
    await shipAll(50, 200);
    expect(shipper.stats().spoolBytes).toBeGreaterThan(0);
    ingest.mode = "accept";
    await shipAll(250, 50);
    await eventually(
      "the spool to drain",
      until(
        () =>
          shipper.stats().spoolBytes === 0 &&
          ingest.lines.length >= sent.length,
      ),
    );
    await shipper.stop();
    // Nothing lost, and order kept: spooled events go out before any that came after them.
    expect(ids(ingest.lines)).toEqual(sent);
    expect(new Set(ingest.authorizations)).toEqual(new Set(["Bearer s3cret"]));
    const spooled = await registry
      .getSingleMetric("warden_gateway_events_spooled_total")
      ?.get();
    expect(spooled?.values[0]?.value).toBeGreaterThanOrEqual(200);
  });

  it("keeps undelivered events on disk across a stop and delivers them on the next start", async () => {
    ingest.mode = "fail";
    const first = createShipper({
      sink: createHttpSink({ url: ingest.url }),
      spoolDirectory,
      logger,
      retryInitialMs: 20,
      retryMaxDelayMs: 50,
    });
    await first.start();
    const events = Array.from({ length: 30 }, (_, i) => event(i));
    await Promise.all(events.map((e) => first.ship(e)));
    await first.stop(500);
    expect(ingest.lines).toEqual([]);

    ingest.mode = "accept";
    const second = createShipper({
      sink: createHttpSink({ url: ingest.url }),
      spoolDirectory,
      logger,
    });
    await second.start();
    await eventually(
      "the replay",
      until(() => ingest.lines.length >= 30),
    );
    await second.stop();
    expect(ids(ingest.lines)).toEqual(events.map((e) => e.event_id));
  });

  it("pushes back when its queue is full and counts the refusal", async () => {
    ingest.mode = "hang";
    const registry = new Registry();
    const shipper = createShipper({
      sink: createHttpSink({ url: ingest.url }),
      spoolDirectory,
      logger,
      registry,
      maxQueueEvents: 10,
      maxBatchEvents: 10,
      sendTimeoutMs: 60_000,
      enqueueTimeoutMs: 50,
    });
    await shipper.start();
    // The first batch hangs at the ingest; the next ten fill the queue; the next is refused.
    const accepted = Array.from({ length: 20 }, (_, i) =>
      shipper.ship(event(i)),
    );
    await eventually(
      "the first batch to be in flight",
      until(() => ingest.authorizations.length > 0),
    );
    await expect(shipper.ship(event(99))).rejects.toBeInstanceOf(
      ShipRefusedError,
    );
    const dropped = await registry
      .getSingleMetric("warden_gateway_events_dropped_total")
      ?.get();
    expect(
      dropped?.values.find((v) => v.labels["reason"] === "queue_full")?.value,
    ).toBe(1);
    ingest.mode = "accept";
    await ingest.close(); // ends the hanging request: its batch fails over to the spool
    await Promise.all(accepted);
    await shipper.stop(100);
  });
});
