import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, readClickHouseConfig } from "@warden/shared";
import { insertEvents } from "../services/baseline/src/events-table.js";
import { queryAggregates } from "../services/baseline/src/store/baseline-queries.js";
import {
  MIGRATIONS,
  applyRetention,
  migrate,
} from "../services/baseline/src/store/migrations.js";
import { rebuildRollups } from "../services/baseline/src/store/rollup-repair.js";
import { generateTraffic } from "./support/baseline-traffic.js";

// One embedded engine per process, so every case here uses its own database in one directory.
describe("baseline store on embedded ClickHouse", () => {
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-store-"));
  let clickhouse: ClickHouseClient;

  beforeAll(async () => {
    clickhouse = await createClickHouse(
      readClickHouseConfig({
        CLICKHOUSE_DATABASE: "store_setup",
        CHDB_PATH: chdbPath,
      }),
    );
  });
  afterAll(async () => {
    await clickhouse.close();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  async function one<T>(query: string): Promise<T> {
    const result = await clickhouse.query({ query, format: "JSONEachRow" });
    const [row] = await result.json<T>();
    if (row === undefined) throw new Error(`no row: ${query}`);
    return row;
  }

  async function database(name: string): Promise<string> {
    await clickhouse.command({
      query: `CREATE DATABASE IF NOT EXISTS ${name}`,
    });
    return name;
  }

  it("migrates a database of the first release and is idempotent", async () => {
    const db = await database("store_legacy");
    // The table exactly as the first release created it, with one row in it.
    for (const query of MIGRATIONS[0]?.statements(db) ?? [])
      await clickhouse.command({ query });
    await clickhouse.command({
      query: `INSERT INTO ${db}.events (event_id, tenant, agent_id, time, raw) VALUES ('old', 'acme', 'a', now64(3), '{}')`,
    });
    expect(await migrate(clickhouse, { database: db })).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(await migrate(clickhouse, { database: db })).toEqual([]);
    const row = await one<{
      event_id: string;
      scopes: string[];
      delegation_parent: string;
    }>(`SELECT event_id, scopes, delegation_parent FROM ${db}.events`);
    expect(row).toEqual({ event_id: "old", scopes: [], delegation_parent: "" });
    const versions = await one<{ v: number[] }>(
      `SELECT groupArray(version) AS v FROM (SELECT version FROM ${db}.schema_migrations FINAL ORDER BY version)`,
    );
    expect(versions.v).toEqual([1, 2, 3, 4, 5]);
  });

  it("sets the retention only when it changes", async () => {
    const db = await database("store_ttl");
    await migrate(clickhouse, { database: db });
    expect(await applyRetention(clickhouse, { database: db }, 30)).toHaveLength(
      5,
    );
    expect(await applyRetention(clickhouse, { database: db }, 30)).toEqual([]);
    expect(await applyRetention(clickhouse, { database: db }, 7)).toHaveLength(
      5,
    );
    const engine = await one<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = '${db}' AND name = 'events'`,
    );
    expect(engine.engine_full).toContain("toIntervalDay(7)");
  });

  it("rolls events up per minute and hour, and rebuilds damaged buckets", async () => {
    const db = await database("store_rollups");
    await migrate(clickhouse, { database: db });
    const events = generateTraffic(
      ["a", "b"].map((id) => ({
        id,
        kind: "k",
        callsPerMinute: 5,
        everyNthMinute: 7,
        activeHours: [8, 9, 10],
        actions: [["x", 1]] as const,
        resources: ["r1", "r2"],
        deniedProbability: 0.2,
        bytesPerCall: 100,
      })),
      { endMs: Date.now(), days: 2, seed: 3, tenant: "acme" },
    );
    await insertEvents(clickhouse, db, events);
    const sums = async () =>
      one<{ minute: number; hour: number; denied: number }>(
        `SELECT (SELECT sum(calls) FROM ${db}.events_per_minute) AS minute,
          (SELECT sum(calls) FROM ${db}.events_per_hour) AS hour,
          (SELECT sum(denied) FROM ${db}.events_per_minute) AS denied`,
      );
    const denied = events.filter((e) => e.outcome === "denied").length;
    expect(await sums()).toEqual({
      minute: events.length,
      hour: events.length,
      denied: denied,
    });

    // Damage: the same events counted again in the roll-ups (as a crash between parts could).
    const from = Math.min(...events.map((e) => e.time_ms));
    const to = Math.max(...events.map((e) => e.time_ms));
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_per_minute SELECT * FROM ${db}.events_per_minute`,
    });
    expect(Number((await sums()).minute)).toBe(2 * events.length);
    await rebuildRollups(
      clickhouse,
      db,
      [
        ["acme", "a"],
        ["acme", "b"],
      ],
      from,
      to,
    );
    expect(await sums()).toEqual({
      minute: events.length,
      hour: events.length,
      denied: denied,
    });
  });

  it("aggregates a scope with ClickHouse exactly as counted by hand", async () => {
    const db = await database("store_aggregates");
    await migrate(clickhouse, { database: db });
    const end = Date.now();
    const events = generateTraffic(
      [
        {
          id: "solo",
          kind: "k",
          callsPerMinute: 4,
          everyNthMinute: 3,
          activeHours: [1, 2, 3, 4, 5, 6],
          actions: [
            ["read", 3],
            ["write", 1],
          ] as const,
          resources: ["r1", "r2", "r3"],
          deniedProbability: 0.1,
          bytesPerCall: 1000,
        },
      ],
      { endMs: end, days: 3, seed: 11, tenant: "t" },
    );
    await insertEvents(clickhouse, db, events);
    const [agent] = await queryAggregates(
      clickhouse,
      db,
      "agent",
      { startMs: end - 14 * 86_400_000, endMs: end + 60_000 },
      { vocabularyTop: 10 },
    );
    expect(agent?.scope).toEqual({
      level: "agent",
      tenant: "t",
      agentId: "solo",
      agentKind: "k",
    });
    expect(agent?.events).toBe(events.length);
    expect(agent?.denied).toBe(
      events.filter((e) => e.outcome === "denied").length,
    );
    const minutes = new Map<number, number>();
    for (const e of events) {
      const minute = Math.floor(e.time_ms / 60_000);
      minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    }
    expect(agent?.activeMinutes).toBe(minutes.size);
    expect(agent?.ratePerMinute?.max).toBe(Math.max(...minutes.values()));
    const reads = events.filter((e) => e.action.name === "read").length;
    const actions = agent?.vocabularies.find((v) => v.dimension === "actions");
    expect(actions).toEqual({
      dimension: "actions",
      distinct: 2,
      total: events.length,
      top: [
        ["read", reads],
        ["write", events.length - reads],
      ],
    });
    expect(
      agent?.hourOfWeekCalls?.reduce((sum, [, calls]) => sum + calls, 0),
    ).toBe(events.length);
    expect(agent?.activeHoursOfDay).toBe(0b111_1110);
  });
});
