import { describe, expect, it } from "vitest";
import { KIND_INDEX, KINDS, kindAt } from "./kinds.js";
import {
  agentAt,
  agentIp,
  createPopulation,
  credentialAt,
  runsStartingIn,
} from "./population.js";

const DAY_MS = 86_400_000;
const MONDAY = Date.parse("2026-11-02T00:00:00Z");

describe("population", () => {
  it("is a pure function of the seed", () => {
    const a = createPopulation(11, 2_000);
    expect(createPopulation(11, 2_000)).toEqual(a);
    expect(createPopulation(12, 2_000).kindOf).not.toEqual(a.kindOf);
    expect(agentAt(a, 77)).toEqual(agentAt(createPopulation(11, 2_000), 77));
  });

  it("mixes the kinds in the catalogue's shares", () => {
    const population = createPopulation(1, 20_000);
    const totalShare = KINDS.reduce((sum, kind) => sum + kind.share, 0);
    KINDS.forEach((kind, index) => {
      const share =
        (population.byKind[index]?.agents.length ?? 0) / population.size;
      expect(share).toBeGreaterThan((kind.share / totalShare) * 0.9);
      expect(share).toBeLessThan((kind.share / totalShare) * 1.1);
    });
  });

  it("spreads activity unevenly: the busiest tenth of agents weighs far more than the quietest", () => {
    const weights = [...createPopulation(2, 10_000).weight].sort(
      (a, b) => a - b,
    );
    const sum = (part: number[]): number =>
      part.reduce((total, value) => total + value, 0);
    expect(
      sum(weights.slice(-1_000)) / sum(weights.slice(0, 1_000)),
    ).toBeGreaterThan(10);
  });

  it("gives sub-agents a procurement bot as parent, sharing its owner and tenant", () => {
    const population = createPopulation(3, 500);
    for (const index of population.byKind[KIND_INDEX.procurementSubagent]
      ?.agents ?? []) {
      const agent = agentAt(population, index);
      expect(agent.parent).toBeDefined();
      const parent = agentAt(population, agent.parent ?? -1);
      expect(parent.kind.name).toBe("procurement-bot");
      expect([parent.owner, parent.tenant]).toEqual([
        agent.owner,
        agent.tenant,
      ]);
    }
  });

  it("gives each agent a few private source addresses of its own", () => {
    const population = createPopulation(4, 300);
    const agent = agentAt(
      population,
      population.byKind[KIND_INDEX.ciAgent]?.agents[0] ?? 0,
    );
    const ips = new Set(
      Array.from({ length: 50 }, (_, slot) => agentIp(agent, 4, slot)),
    );
    expect(ips.size).toBeLessThanOrEqual(agent.kind.ipsPerAgent);
    for (const ip of ips) expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
  });
});

describe("scheduled runs", () => {
  const population = createPopulation(5, 3_000);

  it("runs every data-sync job once a night between its kind's hours", () => {
    const runs = runsStartingIn(
      population,
      KIND_INDEX.dataSync,
      MONDAY,
      MONDAY + 3 * DAY_MS,
    );
    const members = population.byKind[KIND_INDEX.dataSync]?.agents.length ?? 0;
    expect(runs).toHaveLength(3 * members);
    const run = kindAt(KIND_INDEX.dataSync).run;
    for (const { startMs, endMs } of runs) {
      const hour = new Date(startMs).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(run?.earliestHour ?? -1);
      expect(hour).toBeLessThan(run?.latestHour ?? -1);
      expect(endMs - startMs).toBeGreaterThan(0);
    }
    expect(runs.map((r) => r.startMs)).toEqual(
      runs.map((r) => r.startMs).sort((a, b) => a - b),
    );
  });

  it("runs every report job once a week, on a weekday, mostly Monday", () => {
    const runs = runsStartingIn(
      population,
      KIND_INDEX.reportJob,
      MONDAY,
      MONDAY + 7 * DAY_MS,
    );
    expect(runs).toHaveLength(
      population.byKind[KIND_INDEX.reportJob]?.agents.length ?? -1,
    );
    const days = runs.map((run) => new Date(run.startMs).getUTCDay());
    expect(days.every((day) => day >= 1 && day <= 5)).toBe(true);
    expect(
      days.filter((day) => day === 1).length / days.length,
    ).toBeGreaterThan(0.6);
  });

  it("finds exactly the runs that start inside a window", () => {
    const from = MONDAY + 2 * 3_600_000;
    const to = from + 3_600_000;
    const inside = runsStartingIn(population, KIND_INDEX.dataSync, from, to);
    const all = runsStartingIn(
      population,
      KIND_INDEX.dataSync,
      MONDAY,
      MONDAY + DAY_MS,
    );
    expect(inside).toEqual(
      all.filter((run) => run.startMs >= from && run.startMs < to),
    );
    expect(inside.length).toBeGreaterThan(0);
  });
});

describe("credentials", () => {
  const population = createPopulation(6, 400);
  const first = (kind: number): number =>
    population.byKind[kind]?.agents[0] ?? -1;

  it("rotates short-lived tokens every period and says when they expire", () => {
    const agent = agentAt(population, first(KIND_INDEX.supportBot));
    const ids = new Set<string>();
    for (let hour = 0; hour < 6; hour += 1) {
      const credential = credentialAt(agent, 6, MONDAY + hour * 3_600_000);
      ids.add(credential.id);
      expect(credential.expiresAtMs).toBeGreaterThan(MONDAY + hour * 3_600_000);
      expect(credential.expiresAtMs).toBeLessThanOrEqual(
        MONDAY + (hour + 1) * 3_600_000,
      );
    }
    expect(ids.size).toBe(6);
  });

  it("keeps long-lived keys until they are rotated by hand", () => {
    const agent = agentAt(population, first(KIND_INDEX.dataSync));
    const before = credentialAt(agent, 6, MONDAY);
    expect(credentialAt(agent, 6, MONDAY + 30 * DAY_MS)).toEqual(before);
    expect(before.expiresAtMs).toBeUndefined();
    expect(credentialAt(agent, 6, MONDAY, 1).id).not.toBe(before.id);
  });

  it("never gives two agents the same credential", () => {
    const ids = new Set(
      Array.from(
        { length: population.size },
        (_, i) => credentialAt(agentAt(population, i), 6, MONDAY).id,
      ),
    );
    expect(ids.size).toBe(population.size);
  });
});
