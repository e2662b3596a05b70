import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { fastify, type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEventTimeBaselines,
  ensureEventsTable,
  insertEvents,
  loadBaselineConfig,
  registerQueryRoutes,
} from "@warden/baseline";
import {
  DEFAULT_POLICY,
  createScoringEngine,
  createWhatIf,
  parsePolicy,
} from "@warden/detector";
import {
  agentBaselineKey,
  baselineKey,
  createClickHouse,
  readClickHouseConfig,
  type CanonicalEvent,
  type DecisionV1,
} from "@warden/shared";
import { buildModelsAt } from "../services/baseline/src/store/models-at.js";
import { scoreWindow } from "../services/baseline/src/api/what-if-window.js";
import {
  createReplaySummary,
  reacceptLine,
  replayLines,
} from "../cli/src/replay/replay.js";

// What-if scores with the baselines the events met (issue 19), not today's. An agent with two
// calm days of internal reads exports restricted payroll data thirty times in the last hour.
// Today's models hold those exports (its own vocabulary has restricted data and export-sized
// calls), so scoring with them lets the exports excuse themselves; the models rebuilt at each
// event's tick, as the live refresh built them, do not, and the policy in force re-makes the
// decisions replay makes on the same events, decision ids included.

const MINUTE = 60_000;
const DAY = 86_400_000;
const ENV = { BASELINE_REFRESH_INTERVAL: "1h" };
const CONFIG = loadBaselineConfig(ENV);
const SETTINGS = CONFIG.model;
const ENGINE = {
  limits: CONFIG.detector.limits,
  maxAgents: CONFIG.detector.maxAgents,
  maxAgentsPerTenant: CONFIG.detector.maxAgentsPerTenant,
  idleEvictMs: CONFIG.detector.idleEvictMs,
};

function line(
  agent: string,
  index: number,
  timeMs: number,
  exported: boolean,
): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `what-if-${agent}-${index}`,
    time: new Date(timeMs).toISOString(),
    tenant: "acme",
    agent: { id: agent, kind: "reporter", owner: "owner@acme.example" },
    credential: { id: `key-${agent}`, type: "api_key" },
    action: exported
      ? { name: "hr.payroll.export", verb: "export" }
      : { name: "crm.read", verb: "read" },
    resource: exported
      ? { id: "hr:payroll", type: "hr_payroll", sensitivity: "restricted" }
      : {
          id: `contact:${index % 5}`,
          type: "crm_contact",
          sensitivity: "internal",
        },
    outcome: "success",
    bytes_out: exported ? 5_000_000 : 1000 + (index % 7) * 100,
  });
}

describe("what-if baselines", () => {
  const now = Date.now();
  const start = now - 2 * DAY - 2 * 60 * MINUTE;
  // Two agents of one kind: a call every two minutes for two days, then the archivist's exports.
  const calm = ["archivist", "clerk"].flatMap((agent) =>
    Array.from({ length: 1440 }, (_, i) => ({
      timeMs: start + i * 2 * MINUTE + (agent === "clerk" ? 30_000 : 0),
      text: line(
        agent,
        i,
        start + i * 2 * MINUTE + (agent === "clerk" ? 30_000 : 0),
        false,
      ),
    })),
  );
  const exports = Array.from({ length: 30 }, (_, i) => ({
    timeMs: now - 60 * MINUTE + i * 2 * MINUTE + 10_000,
    text: line(
      "archivist",
      10_000 + i,
      now - 60 * MINUTE + i * 2 * MINUTE + 10_000,
      true,
    ),
  }));
  const lines = [...calm, ...exports]
    .sort((a, b) => a.timeMs - b.timeMs)
    .map(({ text }) => text);
  const events = lines.map((text) => reacceptLine(text) as CanonicalEvent);
  const dataDir = mkdtempSync(join(tmpdir(), "warden-what-if-"));
  let clickhouse: ClickHouseClient;
  let app: FastifyInstance;
  let replayed: DecisionV1[] = [];

  const MUTED = {
    ...DEFAULT_POLICY,
    detectors: {
      ...DEFAULT_POLICY.detectors,
      volume_exfil: { weight: 0 },
      novel_resource: { weight: 0 },
    },
  };
  const whatIf = async (policy: unknown) => {
    const response = await app.inject({
      method: "POST",
      url: "/v1/what-if",
      payload: { policy, hours: 2, tenant: "acme" },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{
      complete: boolean;
      events: number;
      decisions: { current: number; proposed: number };
      counts: { appeared: number; disappeared: number; changed: number };
      disappeared: DecisionV1[];
      changed: { current: DecisionV1; proposed: DecisionV1 }[];
    }>();
  };

  beforeAll(async () => {
    clickhouse = await createClickHouse(
      readClickHouseConfig({ CHDB_PATH: dataDir }),
    );
    const database = readClickHouseConfig({}).database;
    await ensureEventsTable(clickhouse, database);
    await insertEvents(clickhouse, database, events);
    app = fastify({ logger: false });
    registerQueryRoutes(app, {
      clickhouse,
      database,
      detector: CONFIG.detector,
      settings: SETTINGS,
      baseline: () => Promise.resolve(null),
    });
    await app.ready();
    // The decisions the live refresh makes on these events, in time order (replay's in-memory
    // aggregates build the SQL's models: test/baseline-parity.test.ts).
    replayed = await replayLines(
      lines,
      createScoringEngine({ ...ENGINE, policy: DEFAULT_POLICY }),
      createReplaySummary(),
      createEventTimeBaselines(SETTINGS),
    );
  });

  afterAll(async () => {
    await app?.close();
    await clickhouse?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("would let the window's exports excuse themselves with today's models", async () => {
    const database = readClickHouseConfig({}).database;
    const today = await buildModelsAt(
      clickhouse,
      database,
      SETTINGS,
      now + SETTINGS.refreshMs,
    );
    const own = today.find(
      (model) =>
        baselineKey(model.scope) === agentBaselineKey("acme", "archivist"),
    );
    expect(own?.trusted).toBe(true);
    expect(own?.vocabulary.sensitivities.top).toContainEqual([
      "restricted",
      30,
    ]);
    const run = createWhatIf({
      current: DEFAULT_POLICY,
      proposed: DEFAULT_POLICY,
      engine: ENGINE,
      maxListed: 100,
      matchWindowMs: 60_000,
    });
    for (const model of today) run.setBaseline(baselineKey(model.scope), model);
    for (const event of events)
      if (event.time_ms >= now - 2 * 60 * MINUTE) run.observe(event);
    expect(run.result().decisions.current).toBe(0);
  });

  it("scores the window with the models of each event's tick: the policy in force re-makes replay's decisions", async () => {
    const inWindow = replayed.filter(
      (decision) => Date.parse(decision.at) >= now - 2 * 60 * MINUTE,
    );
    // Replay (the live pipeline's decisions) acts on the first export of restricted data.
    expect(inWindow.map((decision) => decision.agent_id)).toContain(
      "archivist",
    );
    expect(inWindow.some((decision) => decision.action === "revoke")).toBe(
      true,
    );

    const same = await whatIf(DEFAULT_POLICY);
    expect(same.complete).toBe(true);
    expect(same.events).toBe(
      events.filter((event) => event.time_ms >= now - 2 * 60 * MINUTE).length,
    );
    expect(same.decisions).toEqual({
      current: inWindow.length,
      proposed: inWindow.length,
    });
    expect(same.counts).toEqual({ appeared: 0, disappeared: 0, changed: 0 });

    // With the data detectors muted, each of those decisions disappears or is made by another
    // detector: what the policy in force decided is listed, by its own decision id.
    const muted = await whatIf(MUTED);
    const listed = [
      ...muted.disappeared,
      ...muted.changed.map((change) => change.current),
    ];
    expect(listed.length).toBeGreaterThan(0);
    const byId = new Map(
      replayed.map((decision) => [decision.decision_id, decision]),
    );
    for (const decision of listed)
      expect(byId.get(decision.decision_id)?.action).toBe(decision.action);
  });

  it("rebuilds the same models from SQL at each tick when the history is too long to replay", async () => {
    const database = readClickHouseConfig({}).database;
    const fromMs = now - 2 * 60 * MINUTE;
    const within = (a: number, b: number) =>
      events.filter((event) => event.time_ms >= a && event.time_ms < b);
    const run = (maxHistoryEvents: number) => {
      const result = createWhatIf({
        current: DEFAULT_POLICY,
        proposed: parsePolicy(MUTED),
        engine: ENGINE,
        maxListed: 100,
        matchWindowMs: 60_000,
      });
      return scoreWindow(
        result,
        {
          // eslint-disable-next-line @typescript-eslint/require-await -- an in-memory page source
          async *pages(a, b) {
            yield within(a, b);
          },
          count: (a, b) => Promise.resolve(within(a, b).length),
          modelsAt: (tick) =>
            buildModelsAt(clickhouse, database, SETTINGS, tick),
        },
        {
          fromMs,
          toMs: now + 1,
          settings: SETTINGS,
          deadlineMs: Date.now() + 60_000,
          maxEvents: 200_000,
          maxHistoryEvents,
        },
      ).then((stopped) => ({ stopped, ...result.result() }));
    };
    const replayed = await run(1_000_000);
    const rebuilt = await run(0);
    expect(rebuilt.stopped).toBeUndefined();
    expect(rebuilt.counts.disappeared + rebuilt.counts.changed).toBeGreaterThan(
      0,
    );
    expect(rebuilt).toEqual(replayed);
  });
});
