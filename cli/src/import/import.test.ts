import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  createScoringEngine,
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
} from "@warden/detector";
import { createReplaySummary, replayLines } from "../replay/replay.js";
import { importCloudTrail } from "./command.js";

const FIXTURE = new URL(
  "../../../services/ingest/src/core/mappers/fixtures/cloudtrail-log.json",
  import.meta.url,
);
const T0 = Date.parse("2026-11-02T10:00:00Z");

/** A role session listing then reading one bucket's objects in a tight loop (AWS record shape). */
function runawayRecords(count: number, startMs: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEETL:etl-run",
      arn: "arn:aws:sts::123456789012:assumed-role/etl/etl-run",
      accountId: "123456789012",
      accessKeyId: "ASIAEXAMPLEETL",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          arn: "arn:aws:iam::123456789012:role/etl",
          accountId: "123456789012",
          userName: "etl",
        },
      },
    },
    eventTime: new Date(startMs + i * 20).toISOString().replace(/\.\d+Z$/, "Z"),
    eventSource: "s3.amazonaws.com",
    eventName: i % 2 === 0 ? "ListObjects" : "GetObject",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.9",
    userAgent: "[Boto3/1.34.0]",
    requestParameters: { bucketName: "acme-data", key: `part-${i}.parquet` },
    additionalEventData: { bytesTransferredOut: 1_000_000 },
    eventID: `runaway-${String(i).padStart(8, "0")}`,
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: false,
    recipientAccountId: "123456789012",
    eventCategory: "Data",
  }));
}

describe("warden import cloudtrail", () => {
  it("accounts for every record of a trail directory (gzip, digests, Insights, bad lines) and replays what it writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-import-"));
    const day = join(
      dir,
      "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/02",
    );
    mkdirSync(day, { recursive: true });
    mkdirSync(join(dir, "AWSLogs/123456789012/CloudTrail-Digest"), {
      recursive: true,
    });
    // The later file first on disk and in name order within the directory walk: import sorts by delivery time.
    const runaway = runawayRecords(3000, T0).reverse();
    writeFileSync(
      join(day, "123456789012_CloudTrail_us-east-1_20261102T1000Z_b.json.gz"),
      gzipSync(JSON.stringify({ Records: runaway })),
    );
    writeFileSync(
      join(day, "123456789012_CloudTrail_us-east-1_20261102T0905Z_a.json"),
      readFileSync(FIXTURE),
    );
    writeFileSync(
      join(
        dir,
        "AWSLogs/123456789012/CloudTrail-Digest/123456789012_CloudTrail-Digest_us-east-1_20261102T1000Z.json.gz",
      ),
      gzipSync(
        JSON.stringify({
          awsAccountId: "123456789012",
          digestStartTime: "2026-11-02T09:00:00Z",
          digestEndTime: "2026-11-02T10:00:00Z",
          logFiles: [],
        }),
      ),
    );
    writeFileSync(
      join(dir, "export.ndjson"),
      '{"eventTime": "2026-11-02T09:20:00Z"\n',
    );
    const output = join(dir, "events.ndjson");
    const summary = await importCloudTrail([dir], {
      output,
      tenant: "acme",
      reorderWindow: "100000",
    });
    expect(summary).toMatchObject({
      files: 4,
      unreadableFiles: 0,
      records: 3011,
      events: 3007,
      outOfOrder: 0,
      skipped: { digest: 1, insight: 1 },
      deadLettered: { unmappable_record: 2, invalid_json: 1 },
    });
    const lines = readFileSync(output, "utf8").trim().split("\n");
    expect(lines).toHaveLength(summary.events);
    const times = lines.map((line) =>
      Date.parse((JSON.parse(line) as { time: string }).time),
    );
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const deadLetters = readFileSync(`${output}.dead-letters.ndjson`, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { reason: string; detail: string });
    expect(deadLetters.map((entry) => entry.detail)).toEqual(
      expect.arrayContaining([
        "/userIdentity is missing or not an object",
        expect.stringMatching(/^line is not JSON/),
      ]),
    );
    const engine = createScoringEngine({
      limits: DEFAULT_DETECTOR_LIMITS,
      policy: DEFAULT_POLICY,
      maxAgents: 1000,
      idleEvictMs: 3_600_000,
    });
    const replay = createReplaySummary();
    const decisions = await replayLines(lines, engine, replay);
    expect(replay.events).toBe(summary.events);
    expect(replay.rejected).toEqual({});
    expect(decisions.map((d) => d.agent_id)).toContain(
      "arn:aws:iam::123456789012:role/etl",
    );
  }, 30_000);
});
