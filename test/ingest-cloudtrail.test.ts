import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

const TOKEN = "cloudtrail-forwarder-token-1f2e";
const sha256 = (text: string) =>
  createHash("sha256").update(text).digest("hex");
// A log file in AWS's documented record shape (services/ingest/MAPPINGS.md).
const LOG_FILE = readFileSync(
  "services/ingest/src/core/mappers/fixtures/cloudtrail-log.json",
);

// POST /v1/ingest/cloudtrail in cluster mode: mapped events go through agent.audit.v1 and the
// consumer like any gateway's; unmappable records go to agent.audit.dlq with the reason.
describe("CloudTrail over HTTP ingest and the real broker", () => {
  const { names, namespace, kafka } = useKafkaNamespace("ingest-cloudtrail");
  let service: RunningService;
  let base: string;
  let opsPort: number;
  const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/ingest/cloudtrail`, {
      method: "POST",
      body,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        ...headers,
      },
    });

  beforeAll(async () => {
    const httpPort = await freePort();
    opsPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      INGEST_HTTP_ENABLED: "true",
      INGEST_HTTP_PORT: String(httpPort),
      INGEST_GATEWAY_TOKENS: `ct-forwarder:${sha256(TOKEN)}:acme`,
    });
    await eventually(
      "http ingest to listen",
      async () =>
        (
          await fetch(`${base}/v1/ingest/cloudtrail`, { method: "POST" }).catch(
            () => undefined,
          )
        )?.status,
    );
  });
  afterAll(async () => {
    await service.stop();
  });

  it("refuses a request without the gateway credential", async () => {
    expect(
      (await post(LOG_FILE, { authorization: "Bearer nope" })).status,
    ).toBe(401);
  });

  it("maps a gzipped log file: events to agent.events.v1 in the credential's tenant, unmappable records dead-lettered with the reason, Insights skipped", async () => {
    const response = await post(gzipSync(LOG_FILE), {
      "content-encoding": "gzip",
    });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as {
      accepted: number;
      rejected: number;
      skipped: number;
      results: {
        line: number;
        status: string;
        reason?: string;
        detail?: string;
      }[];
    };
    expect(answer).toMatchObject({
      accepted: 7,
      rejected: 2,
      skipped: 1,
      duplicates: 0,
    });
    expect(answer.results[7]).toEqual({
      line: 8,
      status: "rejected",
      reason: "unmappable_record",
      detail: "/userIdentity is missing or not an object",
    });
    const events = await readTopic(kafka(), names.topics.events, 7);
    const parsed = events.map(
      (message) =>
        JSON.parse(message.value?.toString() ?? "") as {
          tenant: string;
          agent: { id: string };
          action: { name: string };
          delegation: string[];
        },
    );
    expect(new Set(parsed.map((event) => event.tenant))).toEqual(
      new Set(["acme"]),
    );
    expect(parsed.map((event) => event.action.name)).toContain(
      "iam.CreateUser",
    );
    expect(
      parsed.find((event) => event.action.name === "s3.GetObject")?.delegation,
    ).toEqual([
      "arn:aws:iam::123456789012:user/Alice",
      "arn:aws:iam::123456789012:role/Deployer",
    ]);
    const deadLetters = await readTopic(kafka(), names.topics.auditDlq, 2);
    for (const letter of deadLetters) {
      expect(letter.headers?.["warden-reason"]?.toString()).toBe(
        "unmappable_record",
      );
      expect(letter.headers?.["warden-format"]?.toString()).toBe("cloudtrail");
      expect(letter.headers?.["warden-gateway"]?.toString()).toBe(
        "ct-forwarder",
      );
      expect(JSON.parse(letter.value?.toString() ?? "")).toHaveProperty(
        "eventID",
      );
    }
    await eventually("mapped counts", async () =>
      (await scrapeMetric(opsPort, "warden_ingest_mapped_records_total", {
        format: "cloudtrail",
        outcome: "skipped",
      })) === 1
        ? true
        : undefined,
    );
    expect(
      await scrapeMetric(opsPort, "warden_ingest_rejected_total", {
        source: "http",
        reason: "unmappable_record",
      }),
    ).toBe(2);
  });

  it("skips a digest file and refuses a body that is not a log file", async () => {
    const digest = await post(
      JSON.stringify({
        awsAccountId: "123456789012",
        digestStartTime: "2026-11-02T08:00:00Z",
        logFiles: [],
      }),
    );
    expect(await digest.json()).toMatchObject({ accepted: 0, skipped: 1 });
    const bad = await post('{"events": []}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "invalid_document",
      message: "/Records is missing or not an array",
    });
  });
});
