import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  type CanonicalEvent,
} from "@warden/shared";
import { generateTraffic } from "./support/baseline-traffic.js";
import { committedTotal } from "./support/kafka.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";

const TOKEN = "test-token-0123456789";

describe("baseline query API", () => {
  const names = uniqueNames("baseline-api");
  const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-api-"));
  const events: CanonicalEvent[] = generateTraffic(
    ["quiet", "risky"].map((id) => ({
      id,
      kind: "bot",
      callsPerMinute: 3,
      everyNthMinute: 30,
      activeHours: Array.from({ length: 24 }, (_, hour) => hour),
      actions: [["work", 1]] as const,
      resources: ["r"],
      deniedProbability: 0,
      bytesPerCall: 10,
    })),
    { endMs: Date.now(), days: 1, seed: 7, tenant: "acme" },
  );
  const decision = {
    schema: "agent-decision/v1",
    decision_id: "decision-1",
    tenant: "acme",
    agent_id: "risky",
    action: "revoke",
    risk: 0.9,
    at: new Date(Date.now() - 60_000).toISOString(),
    reasons: [{ detector: "burst", score: 0.9, summary: "many calls" }],
  };
  let kafka: Kafka;
  let admin: Admin;
  let service: RunningService;
  let base = "";

  const get = (path: string, token: string | null = TOKEN) =>
    fetch(`${base}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: events.map((e) => ({
        key: e.agent.id,
        value: JSON.stringify(e),
      })),
    });
    await producer.send({
      topic: names.topics.decisions,
      messages: [{ key: "risky", value: JSON.stringify(decision) }],
    });
    await producer.disconnect();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = startService("services/baseline/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      CHDB_PATH: chdbPath,
      BASELINE_API_PORT: String(port),
      BASELINE_API_TOKEN: TOKEN,
      BASELINE_REFRESH_INTERVAL: "1s",
      BASELINE_MIN_HISTORY_EVENTS: "10",
    });
    await eventually("events and the decision stored", async () => {
      const stored =
        (await committedTotal(
          admin,
          names.groups.baseline,
          names.topics.events,
        )) +
        (await committedTotal(
          admin,
          names.groups.baseline,
          names.topics.decisions,
        ));
      return stored >= events.length + 1 ? stored : undefined;
    });
  });
  afterAll(async () => {
    await service?.stop();
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  it("refuses requests without the bearer token", async () => {
    expect((await get("/v1/agents", null)).status).toBe(401);
    expect((await get("/v1/agents", "wrong")).status).toBe(401);
  });

  it("ranks agents by recent risk", async () => {
    const response = await get(
      `/v1/agents?from=${Date.now() - 2 * 86_400_000}`,
    );
    expect(response.status, service.output()).toBe(200);
    const body = (await response.json()) as {
      agents: {
        agent_id: string;
        max_risk: number;
        revokes: number;
        calls: number;
      }[];
    };
    expect(body.agents.map((a) => a.agent_id)).toEqual(["risky", "quiet"]);
    expect(body.agents[0]).toMatchObject({ max_risk: 0.9, revokes: 1 });
    expect(body.agents.reduce((sum, a) => sum + a.calls, 0)).toBe(
      events.length,
    );
  });

  it("pages through an agent's events, newest first, each once", async () => {
    const expected = events.filter((e) => e.agent.id === "quiet");
    const seen: CanonicalEvent[] = [];
    let cursor: string | null = "";
    const from = Date.now() - 2 * 86_400_000;
    while (cursor !== null) {
      const response = await get(
        `/v1/agents/acme/quiet/events?from=${from}&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        events: CanonicalEvent[];
        next: string | null;
      };
      expect(page.events.length).toBeLessThanOrEqual(7);
      seen.push(...page.events);
      cursor = page.next;
    }
    expect(seen.map((e) => e.event_id).sort()).toEqual(
      expected.map((e) => e.event_id).sort(),
    );
    const times = seen.map((e) => e.time_ms);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await get("/v1/agents/acme/quiet/events?limit=0")).status).toBe(
      400,
    );
    expect((await get("/v1/agents/acme/quiet/events?cursor=zz")).status).toBe(
      400,
    );
  });

  it("returns an agent's decisions and baselines", async () => {
    const decisions = (await (
      await get("/v1/agents/acme/risky/decisions")
    ).json()) as { decisions: unknown[] };
    expect(decisions.decisions).toEqual([decision]);
    const own = events.filter((e) => e.agent.id === "risky").length;
    const baselines = await eventually("risky's baseline", async () => {
      const body = (await (
        await get("/v1/agents/acme/risky/baseline")
      ).json()) as {
        agent: { history: { events: number } } | null;
        peer: { scope: unknown } | null;
        tenant: { history: { agents: number } } | null;
      };
      // A refresh publishes agents, then peer groups, then tenants: wait for all three.
      return body.agent?.history.events === own && body.peer && body.tenant
        ? body
        : undefined;
    });
    expect(baselines.peer?.scope).toEqual({
      level: "peer",
      tenant: "acme",
      agentKind: "bot",
    });
    expect(baselines.tenant?.history.agents).toBe(2);
  });
});
