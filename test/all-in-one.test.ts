import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { eventually } from "./support/service.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";

interface IngestAnswer {
  accepted: number;
  rejected: number;
  results: { status: string; reason?: string }[];
}

// The all-in-one as an operator runs it: `warden start`, with an SSF push receiver configured.
describe("warden start (all-in-one, embedded chDB, SSF push)", () => {
  let dataDir: string;
  let receiver: PushReceiver;
  let warden: WardenProcess;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-all-in-one-"));
    receiver = await startPushReceiver();
    warden = runWarden(["start", "--port", "0"], {
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      WARDEN_PUSH_URL: receiver.url,
      WARDEN_PUSH_AUDIENCE: "test-receiver",
      WARDEN_PUSH_AUTHORIZATION: "Bearer push-secret",
      WARDEN_PUSH_EVENTS: "session-revoked,credential-change,account-disabled",
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    warden.child.kill("SIGKILL");
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function post(body: string): Promise<IngestAnswer> {
    const response = await fetch(`${baseUrl}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    return (await response.json()) as IngestAnswer;
  }

  it("ingests over HTTP, rejects the bad examples with reasons, revokes a runaway agent and pushes verifiable SETs", async () => {
    const examples = (file: string): string =>
      readFileSync(`shared/contracts/examples/${file}`, "utf8");
    const good = await post(examples("audit-events.ndjson"));
    expect(good).toMatchObject({ accepted: 3, rejected: 0 });
    const bad = await post(examples("bad-events.ndjson"));
    expect(bad).toMatchObject({ accepted: 0, rejected: 7 });
    expect(bad.results.map((r) => r.reason)).toContain(
      "unsupported_schema_version",
    );

    const start = Date.now();
    const burst = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify({
        schema: "agent-audit/v1",
        event_id: `burst-${randomUUID()}`,
        time: new Date(start + i * 20).toISOString(),
        tenant: "acme",
        agent: {
          id: "agent:runaway/1",
          kind: "report-job",
          owner: "erin@acme.example",
        },
        credential: { id: "key_demo_1", type: "api_key" },
        action: { name: "crm.contacts.export", verb: "export" },
        resource: {
          id: "crm:contacts",
          type: "table",
          sensitivity: "restricted",
        },
        outcome: "success",
        bytes_out: 250_000,
      }),
    ).join("\n");
    expect(await post(burst)).toMatchObject({ accepted: 150, rejected: 0 });

    const decisions = (await (
      await fetch(`${baseUrl}/v1/decisions`)
    ).json()) as {
      decision_id: string;
      agent_id: string;
      action: string;
      reasons: { summary: string }[];
    }[];
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect(decision).toMatchObject({
      action: "revoke",
      agent_id: "agent:runaway/1",
    });
    expect(decision?.reasons[0]?.summary).toContain("101 calls in 10 s");

    const sets = await eventually("three SETs at the receiver", () =>
      Promise.resolve(
        receiver.accepted.length >= 3 ? receiver.accepted : undefined,
      ),
    );
    expect(sets.map((set) => set.eventType).sort()).toEqual([
      `${CAEP}/credential-change`,
      `${CAEP}/session-revoked`,
      `${RISC}/account-disabled`,
    ]);
    const jwks = createRemoteJWKSet(new URL(`${baseUrl}/jwks.json`));
    for (const set of sets) {
      expect(set.contentType).toBe("application/secevent+jwt");
      expect(set.authorization).toBe("Bearer push-secret");
      expect(decodeProtectedHeader(set.jwt).typ).toBe("secevent+jwt");
      const { payload } = await jwtVerify(set.jwt, jwks, {
        issuer: baseUrl,
        audience: "test-receiver",
        typ: "secevent+jwt",
      });
      expect(payload).toMatchObject({
        txn: decision?.decision_id,
        sub_id: { format: "iss_sub", sub: "agent:runaway/1" },
      });
      expect(payload.sub).toBeUndefined();
      expect(payload.exp).toBeUndefined();
    }

    const killSwitch = (await (
      await fetch(`${baseUrl}/v1/kill-switch`)
    ).json()) as unknown[];
    expect(killSwitch).toEqual([
      expect.objectContaining({
        action: "revoke",
        tenant: "acme",
        agent_id: "agent:runaway/1",
        credential_ids: ["key_demo_1"],
        decision_id: decision?.decision_id,
      }),
    ]);
    const count = (await (
      await fetch(`${baseUrl}/v1/events/count`)
    ).json()) as {
      events: number | string;
    };
    expect(Number(count.events)).toBe(153);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /warden_revoker_deliveries_total\{receiver="operator",outcome="delivered"[^}]*\} 3/,
    );
    expect(warden.output()).not.toContain("push-secret");
  });

  it("stops cleanly on SIGINT", async () => {
    warden.child.kill("SIGINT");
    expect(await warden.exited, warden.output()).toBe(0);
  });
});
