import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { ocsfValidator } from "./support/ocsf.js";

const T0 = Date.parse("2026-11-02T10:00:00Z");

/** An IAM user's long-lived key listing one bucket in a tight loop, in AWS's record shape. */
function trail(count: number): string {
  return JSON.stringify({
    Records: Array.from({ length: count }, (_, i) => ({
      eventVersion: "1.09",
      userIdentity: {
        type: "IAMUser",
        principalId: "AIDAEXAMPLESYNC",
        arn: "arn:aws:iam::123456789012:user/sync-bot",
        accountId: "123456789012",
        accessKeyId: "AKIAEXAMPLESYNC",
        userName: "sync-bot",
      },
      eventTime: new Date(T0 + i * 25).toISOString().replace(/\.\d+Z$/, "Z"),
      eventSource: "s3.amazonaws.com",
      eventName: "ListObjects",
      awsRegion: "eu-west-1",
      sourceIPAddress: "198.51.100.20",
      userAgent: "aws-sdk-go-v2/1.30",
      requestParameters: { bucketName: "acme-backups" },
      eventID: `sync-${String(i).padStart(6, "0")}`,
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: false,
      recipientAccountId: "123456789012",
      eventCategory: "Data",
    })),
  });
}

// What a security team runs to backtest on last month's trail: the built CLI, end to end.
describe("warden import cloudtrail + warden replay --format ocsf", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-replay-ocsf-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const warden = (...args: string[]) =>
    spawnSync(process.execPath, ["cli/dist/main.js", ...args], {
      encoding: "utf8",
    });

  it("turns a runaway IAM user's trail into OCSF Detection Findings that OCSF's schema accepts", () => {
    const logs = join(
      dir,
      "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/02",
    );
    mkdirSync(logs, { recursive: true });
    writeFileSync(
      join(logs, "123456789012_CloudTrail_eu-west-1_20261102T1000Z_x.json.gz"),
      gzipSync(trail(600)),
    );
    const imported = warden(
      "import",
      "cloudtrail",
      dir,
      "--output",
      join(dir, "events.ndjson"),
    );
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain("records: 600 → events 600");
    const replayed = warden(
      "replay",
      "--input",
      join(dir, "events.ndjson"),
      "--output",
      join(dir, "findings.ndjson"),
      "--format",
      "ocsf",
    );
    expect(replayed.status).toBe(0);
    expect(replayed.stdout).toContain("events: 600 accepted of 600 lines");
    const findings = readFileSync(join(dir, "findings.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(findings.length).toBeGreaterThan(0);
    const validate = ocsfValidator();
    for (const finding of findings) {
      expect(validate(finding), JSON.stringify(validate.errors)).toBe(true);
      expect(finding).toMatchObject({
        class_uid: 2004,
        evidences: [
          {
            actor: { user: { uid: "arn:aws:iam::123456789012:user/sync-bot" } },
          },
        ],
      });
    }
    expect(findings.map((finding) => finding["disposition_id"])).toContain(24);
  });
});
