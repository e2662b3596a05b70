import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { auditEvent } from "./support/events.js";
import { scrapeMetric } from "./support/metrics.js";
import { eventually } from "./support/service.js";

// The all-in-one reads the detector's own settings (DETECTOR_*), the policy file included, and
// reloads that file as the detector service does: the embedded default is the same product.
describe("the all-in-one's detector policy", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-all-in-one-policy-"));
  const policyFile = join(dir, "policy.json");
  let warden: WardenProcess;
  let port = 0;

  /** Replaces the file the way editors and config management do: write aside, rename over. */
  function writePolicy(text: string): void {
    const aside = join(dir, `.policy-${Date.now()}.tmp`);
    writeFileSync(aside, text);
    renameSync(aside, policyFile);
  }
  const metric = (name: string, labels: Record<string, string> = {}) =>
    scrapeMetric(port, name, labels);

  async function runaway(agent: string): Promise<void> {
    const start = Date.now();
    const lines = Array.from({ length: 8 }, (_, i) =>
      auditEvent(agent, i, start + i * 100),
    );
    const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: lines.join("\n"),
    });
    expect(await response.json()).toMatchObject({ accepted: 8, rejected: 0 });
  }

  beforeAll(async () => {
    writeFileSync(policyFile, JSON.stringify({ version: 2, dryRun: true }));
    warden = runWarden(["start", "--port", "0"], {
      CHDB_PATH: join(dir, "chdb"),
      WARDEN_LOG_LEVEL: "info",
      DETECTOR_BURST_MAX_CALLS: "5",
      DETECTOR_BURST_WINDOW: "10s",
      DETECTOR_POLICY_FILE: policyFile,
    });
    const [, listening] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    port = Number(listening);
  }, 90_000);
  afterAll(() => {
    warden.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts dry-run from the file, refuses a bad edit, and acts once a good one lands", async () => {
    await runaway("agent-one");
    await eventually("the dry-run decision", async () =>
      (await metric("warden_detector_dry_run_decisions_total")) >= 1
        ? true
        : undefined,
    );
    expect(
      await metric("warden_detector_decisions_total", { action: "revoke" }),
    ).toBe(0);

    writePolicy(JSON.stringify({ version: 3, dryRun: false }));
    await eventually("the rejection", async () =>
      (await metric("warden_detector_policy_reloads_total", {
        result: "rejected",
      })) >= 1
        ? true
        : undefined,
    );
    expect(warden.output()).toContain("policy file rejected");

    writePolicy(JSON.stringify({ version: 2, dryRun: false }));
    await eventually("the reload", async () =>
      (await metric("warden_detector_policy_reloads_total", {
        result: "applied",
      })) === 1
        ? true
        : undefined,
    );
    await runaway("agent-three");
    await eventually("the revocation", async () =>
      (await metric("warden_detector_decisions_total", {
        action: "revoke",
      })) >= 1
        ? true
        : undefined,
    );
    const revoked = await fetch(
      `http://127.0.0.1:${port}/v1/decisions?limit=10`,
    ).then((response) => response.json() as Promise<{ agent_id: string }[]>);
    expect(revoked.map((decision) => decision.agent_id)).toContain(
      "agent-three",
    );
  });

  it("refuses to start on a policy file that does not validate, naming the variable", async () => {
    const bad = join(dir, "bad-policy.json");
    writeFileSync(bad, JSON.stringify({ version: 3 }));
    const refused = runWarden(["start", "--port", "0"], {
      CHDB_PATH: join(dir, "chdb-refused"),
      DETECTOR_POLICY_FILE: bad,
    });
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toContain("DETECTOR_POLICY_FILE");
    expect(refused.output()).not.toContain("listening");
  });
});
