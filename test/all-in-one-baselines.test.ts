import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventTimeBaselines, loadBaselineConfig } from "@warden/baseline";
import {
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
  createScoringEngine,
} from "@warden/detector";
import type { BaselineModel, DecisionV1 } from "@warden/shared";
import { createReplaySummary, replayLines } from "../cli/src/replay/replay.js";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { eventually } from "./support/service.js";

// Baselines in the all-in-one (issue 14, items 3 and 4): `warden start` builds the baseline
// service's models over its embedded store on the event-time watermark, judges an agent by its
// own pace as `warden replay` does on the same input, serves the query API behind its gateway
// tokens with the SOC console beside it, and still has the models after kill -9.

const TOKEN = "baselines-gateway-token-0123456789";
const MINUTE = 60_000;
const T0 = Date.parse("2026-11-16T00:00:00.000Z");
// Refreshes every 6 h of event time: 16 over the history, quick on embedded ClickHouse.
const ENV = { BASELINE_REFRESH_INTERVAL: "6h" };
const SETTINGS = loadBaselineConfig(ENV).model;

function auditLine(agent: string, index: number, timeMs: number): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `event-${agent}-${index}`,
    time: new Date(timeMs).toISOString(),
    tenant: "acme",
    agent: { id: agent, kind: "support", owner: "owner@acme.example" },
    credential: { id: `key-${agent}`, type: "api_key" },
    action: { name: "crm.read", verb: "read" },
    resource: {
      id: `contact:${index % 5}`,
      type: "crm_contact",
      sensitivity: "internal",
    },
    outcome: "success",
    bytes_out: 1000 + (index % 7) * 100,
  });
}

/** Two days of one call every two minutes, then 60 calls 100 ms apart: only a baseline objects. */
function history(agent: string): string[] {
  const calm = Array.from({ length: 1440 }, (_, i) =>
    auditLine(agent, i, T0 + i * 2 * MINUTE),
  );
  const start = T0 + 2 * 1440 * 2 * MINUTE;
  return [
    ...calm,
    ...Array.from({ length: 60 }, (_, i) =>
      auditLine(agent, 10_000 + i, start + i * 100),
    ),
  ];
}

/** What a decision says, leaving out when it was computed (wall time here, event time in replay). */
function judged(decision: DecisionV1): unknown {
  return {
    decision_id: decision.decision_id,
    agent_id: decision.agent_id,
    action: decision.action,
    risk: decision.risk,
    trigger_event_id: decision.trigger_event_id,
    reasons: decision.reasons.map((reason) => ({
      detector: reason.detector,
      summary: reason.summary,
    })),
  };
}

describe("baselines in the all-in-one", () => {
  const lines = history("steady");
  let dataDir: string;
  let warden: WardenProcess;
  let url = "";
  const auth = { authorization: `Bearer ${TOKEN}` };

  const start = async (): Promise<void> => {
    warden = runWarden(["start", "--port", "0"], {
      ...ENV,
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      INGEST_GATEWAY_TOKENS: `gw-1:${createHash("sha256").update(TOKEN).digest("hex")}:acme`,
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    url = `http://127.0.0.1:${port}`;
  };
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, { headers: auth });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const baselineOf = (agent: string) =>
    getJson<{ agent: BaselineModel | null; tenant: BaselineModel | null }>(
      `/v1/agents/acme/${agent}/baseline`,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-all-in-one-baselines-"));
    await start();
  });
  afterAll(() => {
    warden.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("judges an agent by its own pace, with the decisions replay makes on the same input", async () => {
    for (let at = 0; at < lines.length; at += 500) {
      const response = await fetch(`${url}/v1/events`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/x-ndjson" },
        body: lines.slice(at, at + 500).join("\n"),
      });
      expect(await response.json()).toMatchObject({ rejected: 0 });
    }
    const live = await getJson<DecisionV1[]>("/v1/decisions?limit=100");

    const engine = createScoringEngine({
      limits: DEFAULT_DETECTOR_LIMITS,
      policy: DEFAULT_POLICY,
      maxAgents: 1_000,
      idleEvictMs: 6 * 3_600_000,
    });
    const replayed = await replayLines(
      lines,
      engine,
      createReplaySummary(),
      createEventTimeBaselines(SETTINGS),
    );
    // Under the absolute limit (100 calls in 10 s): only the agent's baseline (16) revokes it.
    expect(replayed.map((decision) => decision.action)).toEqual(["revoke"]);
    expect(live.map(judged)).toEqual(replayed.map(judged));
    // Counted under the baseline service's own metric names.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^warden_baseline_published_total\{level="agent",service="all-in-one"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^warden_baseline_refresh_failures_total\{service="all-in-one"\} 0$/m,
    );
  });

  it("serves the query API behind the gateway tokens, one tenant per token", async () => {
    const { agent, tenant } = await baselineOf("steady");
    expect(agent?.trusted).toBe(true);
    expect(agent?.history.events).toBeGreaterThan(1000);
    expect(tenant?.scope).toEqual({ level: "tenant", tenant: "acme" });
    const incidents = await getJson<{
      incidents: { agent_id: string; decision: DecisionV1 }[];
    }>(`/v1/incidents?from=${T0}&to=${T0 + 5 * 86_400_000}`);
    expect(incidents.incidents.map((row) => row.agent_id)).toEqual(["steady"]);
    const events = await getJson<{ events: unknown[] }>(
      `/v1/agents/acme/steady/events?from=${T0}&to=${T0 + 5 * 86_400_000}&limit=10`,
    );
    expect(events.events).toHaveLength(10);

    const anonymous = await fetch(`${url}/v1/agents/acme/steady/baseline`);
    expect(anonymous.status).toBe(401);
    const otherTenant = await fetch(`${url}/v1/agents/globex/steady/baseline`, {
      headers: auth,
    });
    expect(otherTenant.status).toBe(404);
    const deliveries = await fetch(`${url}/v1/deliveries`, { headers: auth });
    expect(deliveries.status).toBe(403);
    // The SOC console is served here too, reading this same origin's APIs.
    const page = await fetch(`${url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    expect(await (await fetch(`${url}/console/settings.json`)).json()).toEqual({
      queryApiUrl: "",
    });
  });

  it("still has the models after kill -9 and a restart", async () => {
    const before = await baselineOf("steady");
    warden.child.kill("SIGKILL");
    await new Promise((resolve) => warden.child.once("exit", resolve));
    await start();
    expect(await baselineOf("steady")).toEqual(before);
  });

  it("answers what-if over its stored events for the token's tenant only", async () => {
    // Events of the last hour (what-if reads the last N hours of stored events).
    const now = Date.now();
    const fresh = Array.from({ length: 3 }, (_, i) =>
      JSON.stringify({
        ...(JSON.parse(
          auditLine("fresh", i, now - (3 - i) * MINUTE),
        ) as object),
        event_id: `fresh-${now}-${i}`,
        action: { name: "crm.contacts.export", verb: "export" },
      }),
    );
    const posted = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-ndjson" },
      body: fresh.join("\n"),
    });
    expect(await posted.json()).toMatchObject({ rejected: 0 });
    const { policy } = await getJson<{ policy: { version: number } }>(
      "/v1/policy",
    );
    const proposed = {
      ...policy,
      denyRules: [{ id: "no-exports", actions: ["crm.contacts.export"] }],
    };
    const whatIf = (headers: Record<string, string>) =>
      fetch(`${url}/v1/what-if`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", ...headers },
        // Another tenant named in the body: the token's tenant is used instead.
        body: JSON.stringify({ policy: proposed, hours: 1, tenant: "globex" }),
      });
    const answer = await eventually("the fresh events stored", async () => {
      const response = await whatIf({});
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        events: number;
        appeared: DecisionV1[];
      };
      return body.events >= 3 ? body : undefined;
    });
    expect(answer.appeared.map((decision) => decision.agent_id)).toEqual([
      "fresh",
    ]);
    expect(answer.appeared[0]?.tenant).toBe("acme");
    // The console's cross-site guard covers what-if on this host too.
    expect((await whatIf({ origin: "https://evil.example" })).status).toBe(403);
  });
});
