import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  DETECTOR_NAMES,
  type DetectorName,
  type DetectorResult,
} from "./detectors/types.js";
import {
  combineEvidence,
  noveltyBits,
  poissonBits,
  tailBits,
} from "./evidence.js";
import {
  DEFAULT_POLICY,
  parsePolicy,
  PolicyError,
  policyFor,
} from "./policy.js";
import { DETECTOR_TRAITS } from "./detectors/types.js";
import {
  ceilingOf,
  chooseAction,
  cutoffsFor,
  effectiveCutoffs,
  eventsPerAgentDay,
} from "./risk.js";
import { baseline } from "./fixtures.test-support.js";
import type { AgentState } from "./agent-state.js";
import { accumulateEvidence } from "./incident.js";

const result = (
  detector: DetectorResult["detector"],
  bits: number,
): DetectorResult => ({
  detector,
  bits,
  summary: "s",
  observed: 0,
  expected: 0,
});

const arbitraryResults = fc.array(
  fc.record({
    detector: fc.constantFrom(...DETECTOR_NAMES),
    bits: fc.double({ min: 0, max: 64, noNaN: true }),
  }),
  { maxLength: 12 },
);

const combined = (results: readonly DetectorResult[]): number =>
  combineEvidence(
    results.map((r) => ({
      family: DETECTOR_TRAITS[r.detector].family,
      bits: r.bits,
    })),
  );

describe("combination of evidence", () => {
  it("is monotone, order-independent and never below its strongest signal", () => {
    fc.assert(
      fc.property(
        arbitraryResults,
        fc.constantFrom(...DETECTOR_NAMES),
        fc.double({ min: 0, max: 64, noNaN: true }),
        (raw, extraDetector, extraBits) => {
          const results = raw.map((r) => result(r.detector, r.bits));
          const total = combined(results);
          for (const r of results)
            expect(total).toBeGreaterThanOrEqual(r.bits - 1e-9);
          expect(combined([...results].reverse())).toBeCloseTo(total, 9);
          expect(
            combined([...results, result(extraDetector, extraBits)]),
          ).toBeGreaterThanOrEqual(total - 1e-9);
        },
      ),
    );
  });

  it("combines families by Fisher's method and discounts correlated detectors", () => {
    // Two independent families: 16 bits of sum, less the chance of two weak ones adding up.
    expect(
      combined([result("novel_action", 10), result("rate_spike", 6)]),
    ).toBeCloseTo(16 - Math.log2(1 + 16 * Math.LN2), 9);
    // Two detectors of one family: the strongest and half of the other.
    expect(
      combined([result("novel_action", 10), result("novel_resource", 6)]),
    ).toBe(13);
    // A weak second family never lowers the strongest alone.
    expect(
      combined([result("novel_action", 30), result("rate_spike", 0.5)]),
    ).toBe(30);
  });
});

describe("evidence estimates", () => {
  it("tail surprise grows with the excess and is 0 within the usual range", () => {
    const s = { median: 100, mad: 10, p95: 150, p99: 200, max: 300 };
    expect(tailBits(120, s, 1000)).toBe(0);
    expect(tailBits(200, s, 1000)).toBeCloseTo(Math.log2(100), 6);
    const beyond = tailBits(3000, s, 1000);
    expect(beyond).toBeGreaterThan(tailBits(300, s, 1000));
    expect(tailBits(30_000, s, 1000)).toBeGreaterThan(beyond);
  });

  it("novelty is Good–Turing from the history and Poisson surprise is 0 at the mean", () => {
    const busy = {
      distinct: 2,
      total: 10_000,
      top: [
        ["a", 9000],
        ["b", 1000],
      ] as const,
    };
    expect(noveltyBits(busy, "a").status).toBe("seen");
    const fresh = noveltyBits(busy, "c");
    expect(fresh.status).toBe("new");
    expect(fresh.bits).toBeCloseTo(Math.log2(10_002), 6);
    const young = {
      distinct: 2,
      total: 4,
      top: [
        ["a", 3],
        ["b", 1],
      ] as const,
    };
    expect(noveltyBits(young, "c").bits).toBeLessThan(2);
    expect(poissonBits(5, 5)).toBe(0);
    expect(poissonBits(50, 5)).toBeGreaterThan(poissonBits(20, 5));
  });
});

describe("actions from evidence", () => {
  it("cut-offs are the budgets over the baseline's event rate", () => {
    const model = baseline();
    const perDay = eventsPerAgentDay(model);
    const cutoffs = cutoffsFor(DEFAULT_POLICY, model);
    expect(cutoffs.alert).toBeCloseTo(Math.max(8, Math.log2(perDay * 50)), 6);
    expect(cutoffs.revoke).toBeCloseTo(
      Math.max(12, Math.log2(perDay * 10_000)),
      6,
    );
    expect(cutoffs.alert).toBeLessThan(cutoffs.step_up);
    expect(cutoffs.step_up).toBeLessThan(cutoffs.revoke);
  });

  it("one extreme signal decides alone, impact raises the rung, overrides act", () => {
    const cutoffs = cutoffsFor(DEFAULT_POLICY, baseline());
    const extreme = [result("volume_exfil", cutoffs.revoke + 1)];
    expect(
      chooseAction(combined(extreme), cutoffs, extreme, DEFAULT_POLICY),
    ).toBe("revoke");
    const weak = [result("novel_action", cutoffs.alert - 1)];
    expect(
      chooseAction(combined(weak), cutoffs, weak, DEFAULT_POLICY),
    ).toBeUndefined();
    // The stakes move the step-up and revoke cut-offs down, never below the alert cut-off.
    const stakes = effectiveCutoffs(DEFAULT_POLICY, cutoffs, 4);
    expect(stakes.alert).toBe(cutoffs.alert);
    expect(stakes.step_up).toBeCloseTo(
      Math.max(cutoffs.alert, cutoffs.step_up - 4),
      6,
    );
    expect(stakes.revoke).toBeCloseTo(
      Math.max(cutoffs.step_up, cutoffs.revoke - 4),
      6,
    );
    expect(effectiveCutoffs(DEFAULT_POLICY, cutoffs, 12).step_up).toBe(
      cutoffs.alert,
    );
    const burst = [result("burst", 1)];
    expect(chooseAction(1, cutoffs, burst, DEFAULT_POLICY)).toBe("revoke");
  });
});

describe("detector ceilings", () => {
  // The incident's array as the engine builds it (incident.ts), one fact per detector.
  const incident = (entries: Partial<Record<DetectorName, number>>) => {
    const state = {
      evidence: undefined,
      evidenceAtMs: 0,
    } as unknown as AgentState;
    accumulateEvidence(
      state,
      0,
      Object.entries(entries).map(([name, bits]) =>
        result(name as DetectorName, bits),
      ),
      600_000,
    );
    return state.evidence;
  };

  it("a lone weak-signal detector holds at most; another family's evidence lifts the ceiling", () => {
    const cutoffs = cutoffsFor(DEFAULT_POLICY, baseline());
    const lone = [result("off_hours", cutoffs.revoke + 10)];
    const alone = incident({ off_hours: cutoffs.revoke + 10 });
    expect(ceilingOf(alone, DEFAULT_POLICY)).toBe("step_up");
    expect(
      chooseAction(combined(lone), cutoffs, lone, DEFAULT_POLICY, alone),
    ).toBe("step_up");
    // A stray bit of another family does not corroborate; evidence at corroborationBits does.
    const stray = incident({ off_hours: 40, novel_resource: 2 });
    expect(ceilingOf(stray, DEFAULT_POLICY)).toBe("step_up");
    const corroborated = incident({
      off_hours: 40,
      novel_resource: DEFAULT_POLICY.corroborationBits,
    });
    expect(ceilingOf(corroborated, DEFAULT_POLICY)).toBe("revoke");
    // Two detectors of one family are one signal: still capped.
    expect(
      ceilingOf(
        incident({ off_hours: 30, dormant_identity: 20 }),
        DEFAULT_POLICY,
      ),
    ).toBe("step_up");
    // A detector without a ceiling that carries the incident alone is not capped.
    expect(ceilingOf(incident({ volume_exfil: 40 }), DEFAULT_POLICY)).toBe(
      "revoke",
    );
    expect(ceilingOf(undefined, DEFAULT_POLICY)).toBe("revoke");
    // Below the ceiling nothing changes; an override still acts (burst revokes).
    const weak = [result("denied_probing", cutoffs.step_up)];
    expect(
      chooseAction(
        combined(weak),
        cutoffs,
        weak,
        DEFAULT_POLICY,
        incident({ denied_probing: cutoffs.step_up }),
      ),
    ).toBe("step_up");
    const burst = [result("burst", 30)];
    expect(
      chooseAction(30, cutoffs, burst, DEFAULT_POLICY, incident({ burst: 30 })),
    ).toBe("revoke");
  });

  it("never raises an action, and a ceiling of revoke changes nothing (property)", () => {
    const cutoffs = cutoffsFor(DEFAULT_POLICY, baseline());
    const none = parsePolicy({
      version: 2,
      detectors: Object.fromEntries(
        DETECTOR_NAMES.map((name) => [name, { ceiling: "revoke" }]),
      ),
    });
    fc.assert(
      fc.property(arbitraryResults, (items) => {
        const results = items.map((i) => result(i.detector, i.bits));
        const evidence = incident(
          Object.fromEntries(items.map((i) => [i.detector, i.bits])),
        );
        const total = combined(results);
        const capped = chooseAction(
          total,
          cutoffs,
          results,
          DEFAULT_POLICY,
          evidence,
        );
        const free = chooseAction(total, cutoffs, results, DEFAULT_POLICY);
        const rank = (a: string | undefined) =>
          a === undefined
            ? 0
            : ({ alert: 1, step_up: 2, revoke: 3 } as const)[a as "alert"];
        expect(rank(capped)).toBeLessThanOrEqual(rank(free));
        expect(chooseAction(total, cutoffs, results, none, evidence)).toBe(
          chooseAction(total, cutoffs, results, none),
        );
      }),
    );
  });

  it("rejects an override above the detector's ceiling, naming it", () => {
    expect(() =>
      parsePolicy({
        version: 2,
        detectors: { off_hours: { action: "revoke" } },
      }),
    ).toThrow(
      /detectors\/off_hours: action revoke is above its ceiling step_up/,
    );
    expect(() =>
      parsePolicy({
        version: 2,
        tenants: {
          acme: { detectors: { denied_probing: { action: "revoke" } } },
        },
      }),
    ).toThrow(/tenants\/acme\/detectors\/denied_probing/);
    expect(
      parsePolicy({
        version: 2,
        detectors: { off_hours: { ceiling: "revoke", action: "revoke" } },
      }).detectors.off_hours,
    ).toEqual({ ceiling: "revoke", action: "revoke" });
    expect(() => parsePolicy({ version: 2, corroborationBits: -1 })).toThrow(
      /corroborationBits/,
    );
  });
});

describe("parsePolicy", () => {
  it("fills defaults and merges detector entries field by field", () => {
    const policy = parsePolicy({
      version: 2,
      detectors: { burst: { weight: 0.5 } },
      dryRun: true,
    });
    expect(policy.dryRun).toBe(true);
    expect(policy.budgets).toEqual(DEFAULT_POLICY.budgets);
    expect(policy.detectors.burst).toEqual({
      action: "revoke",
      minBits: 0,
      weight: 0.5,
    });
    // A version 1 file with nothing that changed meaning is still read.
    expect(parsePolicy({ version: 1, dryRun: true }).dryRun).toBe(true);
  });

  it("resolves per-tenant overrides over the policy", () => {
    const policy = parsePolicy({
      version: 2,
      tenants: {
        acme: {
          budgets: { alert: 0.1 },
          detectors: { off_hours: { weight: 0 } },
        },
      },
    });
    const acme = policyFor(policy, "acme");
    expect(acme.budgets).toEqual({ ...DEFAULT_POLICY.budgets, alert: 0.1 });
    expect(acme.detectors.off_hours).toEqual({ ceiling: "step_up", weight: 0 });
    expect(policyFor(policy, "acme")).toBe(acme);
    expect(policyFor(policy, "globex")).toBe(policy);
  });

  it("names every problem", () => {
    const attempt = () =>
      parsePolicy({
        version: 2,
        budgets: { alert: 0.001, step_up: 0.5, revoke: 1 },
        detectors: { nonsense: {} },
      });
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(/detectors/);
    expect(() =>
      parsePolicy({
        version: 2,
        budgets: { alert: 0.001, step_up: 0.5, revoke: 1 },
      }),
    ).toThrow(/alert >= step_up >= revoke/);
    expect(() =>
      parsePolicy({
        version: 2,
        tenants: { acme: { minBits: { alert: 40 } } },
      }),
    ).toThrow(/\/tenants\/acme\/minBits/);
    expect(() =>
      parsePolicy({
        version: 2,
        suppressions: [{ id: "x", from: "2026-13-99T00:00:00Z" }],
      }),
    ).toThrow(/not a date-time/);
    expect(() =>
      parsePolicy({
        version: 1,
        thresholds: { alert: 0.6, step_up: 0.8, revoke: 0.9 },
      }),
    ).toThrow(/version 1 setting/);
    expect(() => parsePolicy({ version: 3 })).toThrow(PolicyError);
  });
});
