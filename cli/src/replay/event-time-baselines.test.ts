import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadBaselineConfig } from "@warden/baseline";
import {
  createScoringEngine,
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
} from "@warden/detector";
import { agentBaselineKey } from "@warden/shared";
import { createEventTimeBaselines } from "@warden/baseline";
import { createReplaySummary, replayLines } from "./replay.js";

const SETTINGS = loadBaselineConfig({}).model;
const MINUTE = 60_000;
const T0 = Date.parse("2026-11-16T00:00:00.000Z");

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

function engine() {
  return createScoringEngine({
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: DEFAULT_POLICY,
    maxAgents: 1_000,
    idleEvictMs: 3 * 3_600_000,
  });
}

/** Two days of one call every two minutes, then `burst` calls 100 ms apart. */
function history(agent: string, burst: number): string[] {
  const calm = Array.from({ length: 1440 }, (_, i) =>
    auditLine(agent, i, T0 + i * 2 * MINUTE),
  );
  const start = T0 + 2 * 1440 * 2 * MINUTE;
  return [
    ...calm,
    ...Array.from({ length: burst }, (_, i) =>
      auditLine(agent, 10_000 + i, start + i * 100),
    ),
  ];
}

describe("replay with baselines in event time", () => {
  it("learns an agent's pace from the file and holds it to its own limit", async () => {
    // 60 calls in 10 s: under the absolute limit (100), far over this agent's baseline (16).
    const lines = history("steady", 60);
    const cold = await replayLines(lines, engine(), createReplaySummary());
    expect(cold).toEqual([]);
    const baselines = createEventTimeBaselines(SETTINGS);
    const scoring = engine();
    const warm = await replayLines(
      lines,
      scoring,
      createReplaySummary(),
      baselines,
    );
    // The burst limit revokes, once (the minute's rate alone stays under the alert budget).
    expect(warm.map((decision) => decision.action)).toEqual(["revoke"]);
    const revoke = warm[0];
    expect(
      revoke?.reasons.find((reason) => reason.detector === "burst")?.summary,
    ).toBe("17 calls in 10 s; the agent baseline allows 16 per 10 s");
    // The model the burst was judged by was computed at a tick, from earlier events only.
    const model = scoring.baselines.get(agentBaselineKey("acme", "steady"));
    const trigger = Date.parse(revoke?.at ?? "");
    expect(model?.trusted).toBe(true);
    expect(model?.computedAtMs).toBe(
      Math.floor(trigger / SETTINGS.refreshMs) * SETTINGS.refreshMs,
    );
    expect(model?.history.lastSeenMs).toBeLessThan(model?.computedAtMs ?? 0);
    expect(model?.history.events).toBe(1440);
  });

  it("uses only events before the tick, and drops those that left the window", async () => {
    const settings = {
      ...SETTINGS,
      windowMs: 60 * MINUTE,
      minHistoryEvents: 1,
      minHistorySpanMs: 0,
    };
    const baselines = createEventTimeBaselines(settings);
    const scoring = engine();
    // One call a minute for three hours: each model covers exactly the hour before its tick.
    const lines = Array.from({ length: 180 }, (_, i) =>
      auditLine("a", i, T0 + i * MINUTE + 1),
    );
    await replayLines(lines, scoring, createReplaySummary(), baselines);
    const model = scoring.baselines.get(agentBaselineKey("acme", "a"));
    const lastTick =
      Math.floor((T0 + 179 * MINUTE) / settings.refreshMs) * settings.refreshMs;
    expect(model?.computedAtMs).toBe(lastTick);
    expect(model?.history.events).toBe(60);
    // The oldest call still in the window, to the millisecond (as the SQL's min(time)).
    expect(model?.history.firstSeenMs).toBe(lastTick - 60 * MINUTE + 1);
    expect(baselines.history.scopes).toBe(3);
  });

  it("gives the same decisions when the same input is replayed twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            agent: fc.constantFrom("a", "b", "c"),
            gapMs: fc.integer({ min: 0, max: 20 * MINUTE }),
          }),
          { minLength: 1, maxLength: 400 },
        ),
        fc.integer({ min: 0, max: 200 }),
        async (steps, burst) => {
          let t = T0;
          const lines = steps.map((step, i) =>
            auditLine(step.agent, i, (t += step.gapMs)),
          );
          for (let i = 0; i < burst; i++)
            lines.push(auditLine("b", 100_000 + i, t + i * 50));
          const settings = {
            ...SETTINGS,
            minHistoryEvents: 20,
            minHistorySpanMs: 3_600_000,
          };
          const run = async () =>
            JSON.stringify(
              await replayLines(
                lines,
                engine(),
                createReplaySummary(),
                createEventTimeBaselines(settings),
              ),
            );
          expect(await run()).toBe(await run());
        },
      ),
      { numRuns: 40 },
    );
  });
});
