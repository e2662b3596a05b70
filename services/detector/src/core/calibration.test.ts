import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { peerBaselineKey, type CanonicalEvent } from "@warden/shared";
import {
  calibrated,
  createPeakHistogram,
  empiricalCutoffs,
  MAX_RAISE,
  MIN_PEAK_DAYS,
  notePeak,
  PEAK_BINS,
  recordPeakBin,
} from "./calibration.js";
import { createScoringEngine } from "./engine.js";
import { DEFAULT_DETECTOR_LIMITS } from "./detectors/types.js";
import { baseline, event, T0 } from "./fixtures.test-support.js";
import { DEFAULT_POLICY, parsePolicy } from "./policy.js";
import type { Cutoffs } from "./risk.js";

const DAY = 86_400_000;

function histogramOf(peaks: readonly number[]) {
  const histogram = createPeakHistogram();
  for (const bits of peaks) {
    const state = { dayPeak: -1 };
    notePeak(state, T0, bits);
    recordPeakBin(histogram, notePeak(state, T0 + DAY, 0));
  }
  return histogram;
}

describe("an agent's day peak", () => {
  it("keeps the day's maximum and hands it over when the next day starts", () => {
    const state = { dayPeak: -1 };
    expect(notePeak(state, T0, 3)).toBe(-1);
    expect(notePeak(state, T0 + 60_000, 9.6)).toBe(-1);
    expect(notePeak(state, T0 + 120_000, 1)).toBe(-1);
    // A late event from the day before counts toward the open day.
    expect(notePeak(state, T0 - DAY, 20)).toBe(-1);
    // Half-bit bins: 20 bits is bin 40.
    expect(notePeak(state, T0 + DAY, 0)).toBe(40);
    expect(notePeak(state, T0 + 3 * DAY, 0)).toBe(0);
    // Beyond the scale: the last bin.
    notePeak(state, T0 + 4 * DAY, 1_000);
    expect(notePeak(state, T0 + 5 * DAY, 0)).toBe(PEAK_BINS - 1);
  });
});

describe("empirical cut-offs (the learning period scored)", () => {
  const analytic: Cutoffs = { alert: 10, step_up: 13, revoke: 17 };

  it("reads the peak a tenth of the agent-days reached, plus one bit per halving of the budget", () => {
    const histogram = histogramOf([
      ...Array.from({ length: 90 }, () => 0),
      ...Array.from({ length: 10 }, () => 12.2),
    ]);
    const cutoffs = empiricalCutoffs(DEFAULT_POLICY, histogram);
    // 12.2 bits is bin 24, whose upper edge is 12.5.
    expect(cutoffs?.alert).toBeCloseTo(12.5 + Math.log2(0.1 / (1 / 50)), 6);
    expect(cutoffs?.step_up).toBeCloseTo(12.5 + Math.log2(0.1 / (1 / 500)), 6);
    expect(cutoffs?.revoke).toBeCloseTo(
      12.5 + Math.log2(0.1 / (1 / 10_000)),
      6,
    );
    // A tenant whose alert budget is above the share reads its own quantile.
    const loose = parsePolicy({
      version: 2,
      budgets: { alert: 0.5, step_up: 0.002, revoke: 0.0001 },
    });
    expect(empiricalCutoffs(loose, histogram)?.alert).toBe(0.5);
  });

  it("says nothing before the group has enough agent-days", () => {
    const short = histogramOf(
      Array.from({ length: MIN_PEAK_DAYS - 1 }, () => 30),
    );
    expect(empiricalCutoffs(DEFAULT_POLICY, short)).toBeUndefined();
  });

  it("is not moved by a few extreme days (an abused agent, or noise made to raise the bar)", () => {
    const histogram = histogramOf([
      ...Array.from({ length: 40 }, () => 0),
      ...Array.from({ length: 3 }, () => 64),
    ]);
    expect(
      calibrated(analytic, empiricalCutoffs(DEFAULT_POLICY, histogram)),
    ).toBe(analytic);
  });

  it("takes the larger of the two per action, raising by MAX_RAISE at most", () => {
    const merged = calibrated(analytic, { alert: 12, step_up: 11, revoke: 40 });
    expect(merged).toEqual({
      alert: 12,
      step_up: 13,
      revoke: 17 + MAX_RAISE,
    });
    fc.assert(
      fc.property(
        fc.record({
          alert: fc.double({ min: 0, max: 80, noNaN: true }),
          step_up: fc.double({ min: 0, max: 80, noNaN: true }),
          revoke: fc.double({ min: 0, max: 80, noNaN: true }),
        }),
        (empirical) => {
          const out = calibrated(analytic, empirical);
          for (const action of ["alert", "step_up", "revoke"] as const) {
            expect(out[action]).toBeGreaterThanOrEqual(analytic[action]);
            expect(out[action]).toBeLessThanOrEqual(
              analytic[action] + MAX_RAISE,
            );
          }
        },
      ),
    );
  });

  it("follows the recent weeks: the histogram halves when full and keeps its shape", () => {
    const histogram = histogramOf(
      Array.from({ length: 5_000 }, (_, i) => i % 10),
    );
    expect(histogram.days).toBeLessThan(4_096);
    expect(histogram.days).toBe(
      histogram.counts.reduce((sum, count) => sum + count, 0),
    );
  });
});

describe("the engine with its groups' history", () => {
  // A peer group of ~14 calls a day: alert at log₂(14 · 50) ≈ 9.5 bits.
  const peer = baseline({
    history: {
      events: 100,
      agents: 1,
      firstSeenMs: T0 - 7 * DAY,
      lastSeenMs: T0 - 3_600_000,
      activeMinutes: 100,
      activeHours: 50,
    },
    vocabulary: {
      actions: { distinct: 1, total: 2_000, top: [["crm.read", 2_000]] },
    },
  });
  const newTool = (agent: string, t: number): CanonicalEvent =>
    event(agent, t, { action: { name: "crm.bulk_merge" } });

  function scoring() {
    const engine = createScoringEngine({
      limits: DEFAULT_DETECTOR_LIMITS,
      policy: DEFAULT_POLICY,
      maxAgents: 1_000,
      idleEvictMs: 30 * DAY,
    });
    engine.baselines.set(peerBaselineKey("acme", "support"), peer);
    return engine;
  }

  it("does not alert on what a tenth of the group's healthy days already reached", () => {
    const control = scoring();
    // A new tool: Good–Turing log₂(2002) ≈ 11 bits, above the analytic alert cut-off.
    expect(control.observe(newTool("fresh", T0), "x").decision?.action).toBe(
      "alert",
    );
    const noisy = scoring();
    // 25 agents of the group, each picking up a new tool one day (their decisions are history).
    for (let i = 0; i < 25; i++) noisy.observe(newTool(`a${i}`, T0 + i), "x");
    for (let i = 0; i < 25; i++)
      noisy.observe(event(`a${i}`, T0 + DAY + i), "x");
    const scored = noisy.observe(newTool("fresh", T0 + 2 * DAY), "x");
    expect(scored.evidence).toBeGreaterThan(10);
    expect(scored.decision).toBeUndefined();
  });
});
