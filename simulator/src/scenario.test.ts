import { describe, expect, it } from "vitest";
import { KIND_INDEX } from "./kinds.js";
import { agentAt, createPopulation } from "./population.js";
import {
  ATTACK_KINDS,
  TRAP_KINDS,
  parseEpisodeList,
  planScenario,
} from "./scenario.js";

const DAY_MS = 86_400_000;
const START = Date.parse("2026-11-02T00:00:00Z");

describe("parseEpisodeList", () => {
  it("reads all, none, and kinds with counts in either spelling", () => {
    expect(parseEpisodeList("all", ATTACK_KINDS)).toHaveLength(
      ATTACK_KINDS.length,
    );
    expect(parseEpisodeList("none", TRAP_KINDS)).toEqual([]);
    expect(
      parseEpisodeList("runaway-loop:3, bulk_export", ATTACK_KINDS),
    ).toEqual([
      { kind: "runaway_loop", count: 3 },
      { kind: "bulk_export", count: 1 },
    ]);
  });

  it.each([
    "sql_injection",
    "runaway_loop:0",
    "runaway_loop:1.5",
    "runaway_loop:x",
  ])("rejects %s with what it expected", (text) => {
    expect(() => parseEpisodeList(text, ATTACK_KINDS)).toThrow(
      /unknown kind|whole number/,
    );
  });
});

describe("planScenario", () => {
  const population = createPopulation(21, 600);
  const learningEndMs = START + 2 * DAY_MS;
  const endMs = START + 7 * DAY_MS;
  const scenario = planScenario({
    population,
    startMs: START,
    endMs,
    learningEndMs,
    attacks: ATTACK_KINDS.map((kind) => ({ kind, count: 2 })),
    traps: TRAP_KINDS.map((kind) => ({ kind, count: 1 })),
  });

  it("plans every episode after the learning phase and inside the run", () => {
    expect(scenario.skipped).toEqual([]);
    expect(scenario.episodes).toHaveLength(
      2 * ATTACK_KINDS.length + TRAP_KINDS.length,
    );
    for (const episode of scenario.episodes) {
      expect(episode.startMs).toBeGreaterThanOrEqual(learningEndMs);
      expect(episode.endMs).toBeLessThanOrEqual(endMs);
      expect(episode.endMs).toBeGreaterThan(episode.startMs);
    }
  });

  it("gives every episode its own agent, accomplices included", () => {
    const agents = scenario.episodes.flatMap((episode) => [
      episode.agent,
      ...episode.accomplices,
    ]);
    expect(new Set(agents).size).toBe(agents.length);
  });

  it("casts plausible victims", () => {
    const kindOf = (kind: string): string[] =>
      scenario.episodes
        .filter((e) => e.kind === kind)
        .map((e) => agentAt(population, e.agent).kind.name);
    expect(new Set(kindOf("delegation_abuse"))).toEqual(
      new Set(["procurement-subagent"]),
    );
    expect(new Set(kindOf("nightly_batch"))).toEqual(new Set(["data-sync"]));
    expect(new Set(kindOf("weekly_report_spike"))).toEqual(
      new Set(["report-job"]),
    );
    for (const episode of scenario.episodes.filter(
      (e) => e.kind === "off_hours",
    )) {
      const hour = new Date(episode.startMs).getUTCHours();
      expect(hour >= 1 && hour < 4).toBe(true);
      expect(population.kindOf[episode.agent]).toBeOneOf([
        KIND_INDEX.supportBot,
        KIND_INDEX.procurementBot,
      ]);
    }
    const sharing = scenario.episodes.find(
      (e) => e.kind === "credential_sharing",
    );
    expect(sharing?.ips.length).toBeGreaterThanOrEqual(10);
    expect(sharing?.accomplices.length).toBeGreaterThanOrEqual(2);
  });

  it("marks brand-new agents and hand rotations for the generator", () => {
    const born = scenario.episodes.find((e) => e.kind === "brand_new_agent");
    expect(scenario.birthMs.get(born?.agent ?? -1)).toBe(born?.startMs);
    const rotated = scenario.episodes.find(
      (e) => e.kind === "credential_rotation",
    );
    expect(scenario.manualRotationsMs.get(rotated?.agent ?? -1)).toEqual([
      rotated?.startMs,
    ]);
  });

  it("skips, and says why, what a tiny population or short run cannot hold", () => {
    const tiny = planScenario({
      population: createPopulation(1, 2),
      startMs: START,
      endMs: START + 3_600_000,
      learningEndMs: START + 1_800_000,
      attacks: ATTACK_KINDS.map((kind) => ({ kind, count: 1 })),
      traps: [],
    });
    expect(tiny.skipped.length).toBeGreaterThan(0);
    expect(tiny.episodes.length + tiny.skipped.length).toBe(
      ATTACK_KINDS.length,
    );
    for (const skipped of tiny.skipped) expect(skipped.reason).not.toBe("");
  });
});
