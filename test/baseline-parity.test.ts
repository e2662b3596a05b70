import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildModel,
  createEventHistory,
  insertEvents,
  loadBaselineConfig,
  type EventHistory,
} from "@warden/baseline";
import { acceptAuditMessage, DEFAULT_MAX_EVENT_BYTES } from "@warden/ingest";
import {
  baselineKey,
  createClickHouse,
  type BaselineLevel,
  type BaselineModel,
  type CanonicalEvent,
  readClickHouseConfig,
} from "@warden/shared";
import {
  ATTACK_KINDS,
  TRAP_KINDS,
  generateEvents,
  planSimulation,
} from "@warden/simulator";
import { migrate } from "../services/baseline/src/store/migrations.js";
import { queryAggregates } from "../services/baseline/src/store/baseline-queries.js";

// One definition of the baselines (issue 14, item 4): the replay's in-memory aggregates and the
// service's SQL over embedded ClickHouse build identical models from the same events — every
// agent, peer group and tenant of a simulated population with attacks and traps (delegation
// chains, exports, restricted data, credential scopes, denied and failed calls).

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SETTINGS = loadBaselineConfig({}).model;
const LEVELS: readonly BaselineLevel[] = ["agent", "peer", "tenant"];
const ACCEPT = {
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  maxFutureSkewMs: Number.POSITIVE_INFINITY,
  lateAfterMs: Number.POSITIVE_INFINITY,
  nowMs: 0,
} as const;

function simulatedEvents(): CanonicalEvent[] {
  const plan = planSimulation({
    seed: 1414,
    agents: 30,
    startMs: Date.parse("2026-11-16T00:00:00.000Z"),
    durationMs: 2 * DAY_MS,
    attacks: ATTACK_KINDS.map((kind) => ({ kind, count: 1 })),
    traps: TRAP_KINDS.map((kind) => ({ kind, count: 1 })),
  });
  const encoder = new TextEncoder();
  const events: CanonicalEvent[] = [];
  for (const { event } of generateEvents(plan)) {
    const accepted = acceptAuditMessage(
      encoder.encode(JSON.stringify(event)),
      ACCEPT,
    );
    if (accepted.ok) events.push(accepted.event);
  }
  return events.sort((a, b) => a.time_ms - b.time_ms);
}

describe("baseline aggregates: in memory and in SQL agree", () => {
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-parity-"));
  const database = "parity";
  const events = simulatedEvents();
  const firstMs = events[0]?.time_ms ?? 0;
  const lastMs = events[events.length - 1]?.time_ms ?? 0;
  let clickhouse: ClickHouseClient;

  beforeAll(async () => {
    clickhouse = await createClickHouse(
      readClickHouseConfig({
        CLICKHOUSE_DATABASE: database,
        CHDB_PATH: chdbPath,
      }),
    );
    await migrate(clickhouse, { database });
    for (let at = 0; at < events.length; at += 5_000)
      await insertEvents(clickhouse, database, events.slice(at, at + 5_000));
  });
  afterAll(async () => {
    await clickhouse.close();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  /** Models of every scope with events in the window, by KV key, built from SQL aggregates. */
  async function fromSql(window: {
    startMs: number;
    endMs: number;
  }): Promise<Map<string, BaselineModel>> {
    const models = new Map<string, BaselineModel>();
    for (const level of LEVELS)
      for (const aggregates of await queryAggregates(
        clickhouse,
        database,
        level,
        window,
        { vocabularyTop: SETTINGS.vocabularyTop },
      ))
        models.set(baselineKey(aggregates.scope), build(aggregates, window));
    return models;
  }

  function fromMemory(
    history: EventHistory,
    keys: Iterable<string>,
    window: { startMs: number; endMs: number },
  ): Map<string, BaselineModel | undefined> {
    const models = new Map<string, BaselineModel | undefined>();
    for (const key of keys) {
      const aggregates = history.aggregates(key, window, {
        vocabularyTop: SETTINGS.vocabularyTop,
      });
      models.set(key, aggregates && build(aggregates, window));
    }
    return models;
  }

  function build(
    aggregates: Parameters<typeof buildModel>[0],
    window: { startMs: number; endMs: number },
  ): BaselineModel {
    return buildModel(aggregates, {
      computedAtMs: window.endMs,
      windowStartMs: window.startMs,
      windowEndMs: window.endMs,
      settings: SETTINGS,
    });
  }

  it("builds the same model of every scope over the whole history", async () => {
    const window = { startMs: firstMs - DAY_MS, endMs: lastMs + 1 };
    const history = createEventHistory();
    for (const event of events) history.add(event);
    const sql = await fromSql(window);
    expect(sql.size).toBeGreaterThan(30);
    expect(history.scopes).toBe(sql.size);
    const memory = fromMemory(history, sql.keys(), window);
    for (const [key, model] of sql) expect(memory.get(key), key).toEqual(model);
    // Below the models, the aggregates themselves agree, vocabularies listed in the same order.
    const agentSql = await queryAggregates(
      clickhouse,
      database,
      "agent",
      window,
      {
        vocabularyTop: SETTINGS.vocabularyTop,
      },
    );
    for (const aggregates of agentSql)
      expect(
        history.aggregates(baselineKey(aggregates.scope), window, {
          vocabularyTop: SETTINGS.vocabularyTop,
        }),
      ).toEqual(aggregates);
    // The models are not trivially equal: trusted agents with learnt vocabularies are among them.
    const trusted = [...sql.values()].filter(
      (model) => model.trusted && model.scope.level === "agent",
    );
    expect(trusted.length).toBeGreaterThan(5);
  });

  it("builds the same models after the window slid past whole hours of events", async () => {
    // A window starting on the hour, a day in: the older events were added and then removed.
    const startMs = Math.floor((firstMs + DAY_MS) / HOUR_MS) * HOUR_MS;
    const window = { startMs, endMs: startMs + DAY_MS / 2 };
    const history = createEventHistory();
    for (const event of events)
      if (event.time_ms < window.endMs) history.add(event);
    for (const event of events)
      if (event.time_ms < startMs) history.remove(event);
    const sql = await fromSql(window);
    expect(history.scopes).toBe(sql.size);
    const memory = fromMemory(history, sql.keys(), window);
    for (const [key, model] of sql) expect(memory.get(key), key).toEqual(model);
  });
});
