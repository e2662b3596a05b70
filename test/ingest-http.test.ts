import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { auditEvent } from "./support/events.js";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

const sha256 = (text: string) =>
  createHash("sha256").update(text).digest("hex");
const EDGE_TOKEN = "edge-one-token-7d1c";
const BURSTY_TOKEN = "edge-two-token-90aa";

// HTTP ingest in cluster mode: posts go to agent.audit.v1 and through the same consumer.
describe("ingest HTTP endpoint over the real broker", () => {
  const { names, namespace, kafka } = useKafkaNamespace("ingest-http");

  let service: RunningService;
  let base: string;
  let opsPort: number;
  const post = (body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${base}/v1/events`, { method: "POST", body, headers });

  beforeAll(async () => {
    const httpPort = await freePort();
    opsPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      WARDEN_LOG_LEVEL: "debug",
      INGEST_HTTP_ENABLED: "true",
      INGEST_HTTP_PORT: String(httpPort),
      INGEST_GATEWAY_TOKENS: `edge-1:${sha256(EDGE_TOKEN)}:acme,edge-2:${sha256(BURSTY_TOKEN)}:acme`,
      INGEST_HTTP_MAX_BODY_BYTES: "64KiB",
      INGEST_HTTP_RATE_LIMIT: "3",
      INGEST_HTTP_RATE_WINDOW: "1m",
    });
    await eventually(
      "http ingest to listen",
      async () =>
        (
          await fetch(`${base}/v1/events`, { method: "POST" }).catch(
            () => undefined,
          )
        )?.status,
    );
  });
  afterAll(async () => {
    await service.stop();
  });

  it("refuses requests without a valid gateway token", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Basic ${EDGE_TOKEN}`,
    ]) {
      const response = await post(auditEvent("agent:x", 1), {
        "content-type": "application/x-ndjson",
        ...(authorization ? { authorization } : {}),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("takes gzipped NDJSON and a JSON array, answers per line, and forwards or dead-letters each", async () => {
    const good = [1, 2, 3].map((index) => auditEvent("agent:http/1", index));
    const ndjson = [good[0], "{broken", good[1], ""].join("\n");
    const first = await post(gzipSync(ndjson), {
      authorization: `Bearer ${EDGE_TOKEN}`,
      "content-type": "application/x-ndjson",
      "content-encoding": "gzip",
    });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({
      accepted: 2,
      rejected: 1,
      duplicates: 0,
      results: [
        { line: 1, status: "accepted" },
        {
          line: 2,
          status: "rejected",
          reason: "invalid_json",
          detail: expect.any(String) as string,
        },
        { line: 3, status: "accepted" },
      ],
    });
    const second = await post(`[${good[2]}, {"schema":"agent-audit/v9"}]`, {
      authorization: `Bearer ${EDGE_TOKEN}`,
      "content-type": "application/json",
    });
    expect(await second.json()).toMatchObject({ accepted: 1, rejected: 1 });

    const events = await readTopic(kafka(), names.topics.events, 3);
    expect(events.map((message) => message.key?.toString())).toEqual([
      "agent:http/1",
      "agent:http/1",
      "agent:http/1",
    ]);
    const deadLetters = await readTopic(kafka(), names.topics.auditDlq, 2);
    expect(
      deadLetters.map((letter) => letter.value?.toString()).sort(),
    ).toEqual(['{"schema":"agent-audit/v9"}', "{broken"]);
    for (const letter of deadLetters) {
      expect(letter.headers?.["warden-gateway"]?.toString()).toBe("edge-1");
      expect(letter.headers?.["warden-source-topic"]?.toString()).toBe(
        names.topics.audit,
      );
    }
    await eventually("http counts", async () =>
      (await scrapeMetric(opsPort, "warden_ingest_received_total", {
        source: "http",
      })) === 5
        ? true
        : undefined,
    );
  });

  it("limits bodies before and after gunzip, and rate-limits each token on its own", async () => {
    const headers = {
      authorization: `Bearer ${BURSTY_TOKEN}`,
      "content-type": "application/x-ndjson",
    };
    expect((await post("x".repeat(70 * 1024), headers)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(
      (await post(bomb, { ...headers, "content-encoding": "gzip" })).status,
    ).toBe(413);
    expect(
      (await post("{}", { ...headers, "content-encoding": "gzip" })).status,
    ).toBe(400);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      statuses.push(
        (await post(auditEvent("agent:burst", attempt), headers)).status,
      );
    expect(statuses).toContain(429);
    const other = await post(auditEvent("agent:http/2", 9), {
      ...headers,
      authorization: `Bearer ${EDGE_TOKEN}`,
    });
    expect(other.status).toBe(202);
    expect(service.output()).not.toContain(EDGE_TOKEN);
    expect(service.output()).not.toContain(BURSTY_TOKEN);
  });
});
