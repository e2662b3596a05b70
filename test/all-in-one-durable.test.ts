import { mkdtempSync, rmSync } from "node:fs";
import { createHash, randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { eventually } from "./support/service.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";

const TOKEN = "durable-gateway-token-0123456789";

function burst(agentId: string): string {
  const start = Date.now();
  return Array.from({ length: 150 }, (_, i) =>
    JSON.stringify({
      schema: "agent-audit/v1",
      event_id: `burst-${randomUUID()}`,
      time: new Date(start + i * 20).toISOString(),
      tenant: "acme",
      agent: { id: agentId, kind: "report-job" },
      credential: { id: "key_durable_1", type: "api_key" },
      action: { name: "crm.contacts.export", verb: "export" },
      resource: { id: "crm:contacts", type: "table" },
      outcome: "success",
    }),
  ).join("\n");
}

// The all-in-one keeps what the cluster keeps: SETs queued for a receiver that is down and
// the kill switch survive a kill -9; after the restart each SET arrives once (by jti).
describe("warden start survives kill -9 with SETs queued", () => {
  let dataDir: string;
  let receiver: PushReceiver;
  let warden: WardenProcess;
  let url: string;

  const start = async (): Promise<string> => {
    warden = runWarden(["start", "--port", "0"], {
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      INGEST_GATEWAY_TOKENS: `gw-1:${createHash("sha256").update(TOKEN).digest("hex")}:acme`,
      WARDEN_PUSH_URL: receiver.url,
      WARDEN_PUSH_AUDIENCE: "durable-receiver",
      WARDEN_PUSH_EVENTS: "session-revoked,credential-change,account-disabled",
      REVOKER_RETRY_INITIAL: "200ms",
      REVOKER_RETRY_MAX: "1s",
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    return `http://127.0.0.1:${port}`;
  };
  const get = (url: string, token?: string) =>
    fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-all-in-one-durable-"));
    receiver = await startPushReceiver();
    receiver.answer = { status: 503 };
  });
  afterAll(async () => {
    warden.child.kill("SIGKILL");
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("guards its read routes with the gateway tokens and bounds GET /v1/decisions", async () => {
    url = await start();
    for (const path of [
      "/v1/decisions",
      "/v1/kill-switch",
      "/v1/events/count",
      "/v1/dead-letters/count",
    ]) {
      expect((await get(`${url}${path}`)).status, path).toBe(401);
      expect((await get(`${url}${path}`, "wrong-token")).status, path).toBe(
        401,
      );
      expect((await get(`${url}${path}`, TOKEN)).status, path).toBe(200);
    }
    for (const limit of ["0", "-1", "abc", "10001"])
      expect(
        (await get(`${url}/v1/decisions?limit=${limit}`, TOKEN)).status,
      ).toBe(400);
    // Public by design: the SSF metadata and the keys receivers verify SETs with.
    expect((await get(`${url}/jwks.json`)).status).toBe(200);
    expect((await get(`${url}/.well-known/ssf-configuration`)).status).toBe(
      200,
    );
  });

  it("delivers each SET queued before a kill -9 exactly once after the restart, and the kill switch holds", async () => {
    const posted = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-ndjson",
        authorization: `Bearer ${TOKEN}`,
      },
      body: burst("agent:durable/1"),
    });
    expect(posted.status).toBe(202);
    const decisions = (await (
      await get(`${url}/v1/decisions?limit=1`, TOKEN)
    ).json()) as { decision_id: string; action: string }[];
    expect(decisions).toMatchObject([{ action: "revoke" }]);
    // The receiver is down: every SET has been tried at least once, none accepted.
    const tried = await eventually("three SETs tried", () =>
      Promise.resolve(
        new Set(receiver.attempts).size >= 3
          ? new Set(receiver.attempts)
          : undefined,
      ),
    );
    expect(receiver.accepted).toEqual([]);
    warden.child.kill("SIGKILL");
    await warden.exited;

    receiver.answer = { status: 202 };
    const restarted = await start();
    const delivered = await eventually("the queued SETs delivered", () =>
      Promise.resolve(
        receiver.accepted.length >= 3 ? receiver.accepted : undefined,
      ),
    );
    const metrics = await eventually("an empty queue", async () => {
      const text = await (await get(`${restarted}/metrics`)).text();
      return /warden_revoker_queue_depth\{[^}]*kind="events"[^}]*\} 0/.test(
        text,
      )
        ? text
        : undefined;
    });
    expect(metrics).toMatch(
      /warden_revoker_deliveries_total\{receiver="operator",outcome="delivered"[^}]*\} 3/,
    );
    expect(receiver.accepted.map((set) => set.jti).sort()).toEqual(
      [...tried].sort(),
    );
    expect(new Set(delivered.map((set) => set.jti)).size).toBe(
      receiver.accepted.length,
    );
    const killSwitch = (await (
      await get(`${restarted}/v1/kill-switch`, TOKEN)
    ).json()) as unknown[];
    expect(killSwitch).toEqual([
      expect.objectContaining({
        action: "revoke",
        tenant: "acme",
        agent_id: "agent:durable/1",
        decision_id: decisions[0]?.decision_id,
      }),
    ]);
  });
});
