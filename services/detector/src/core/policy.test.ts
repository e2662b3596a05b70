import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DETECTOR_NAMES, type DetectorResult } from "./detectors/types.js";
import { DEFAULT_POLICY, parsePolicy, PolicyError } from "./policy.js";
import { chooseAction, combineRisk } from "./risk.js";

const result = (
  detector: DetectorResult["detector"],
  score: number,
): DetectorResult => ({
  detector,
  score,
  summary: "s",
  observed: 0,
  expected: 0,
});

const arbitraryResults = fc.array(
  fc.record({
    detector: fc.constantFrom(...DETECTOR_NAMES),
    score: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  { maxLength: 12 },
);

describe("risk", () => {
  it("stays in [0, 1], never below the strongest weighted score, and grows with signals", () => {
    fc.assert(
      fc.property(arbitraryResults, (raw) => {
        const results = raw.map((r) => result(r.detector, r.score));
        const risk = combineRisk(results, DEFAULT_POLICY);
        expect(risk).toBeGreaterThanOrEqual(0);
        expect(risk).toBeLessThanOrEqual(1);
        for (const r of results) {
          const weight = DEFAULT_POLICY.detectors[r.detector]?.weight ?? 1;
          expect(risk).toBeGreaterThanOrEqual(weight * r.score - 1e-12);
        }
        const more = combineRisk(
          [...results, result("rate_spike", 0.5)],
          DEFAULT_POLICY,
        );
        expect(more).toBeGreaterThanOrEqual(risk);
      }),
    );
  });

  it("lets no single statistical detector revoke under the default policy", () => {
    for (const name of DETECTOR_NAMES.filter((n) => n !== "burst")) {
      const results = [result(name, 1)];
      expect(
        chooseAction(
          combineRisk(results, DEFAULT_POLICY),
          results,
          DEFAULT_POLICY,
        ),
      ).toBe("step_up");
    }
    const burst = [result("burst", 1)];
    expect(
      chooseAction(combineRisk(burst, DEFAULT_POLICY), burst, DEFAULT_POLICY),
    ).toBe("revoke");
    const two = [result("volume_exfil", 1), result("credential_misuse", 0.95)];
    expect(
      chooseAction(combineRisk(two, DEFAULT_POLICY), two, DEFAULT_POLICY),
    ).toBe("revoke");
    expect(
      chooseAction(0.3, [result("novel_action", 0.3)], DEFAULT_POLICY),
    ).toBeUndefined();
  });
});

describe("parsePolicy", () => {
  it("fills defaults and merges detector entries field by field", () => {
    const policy = parsePolicy({
      version: 1,
      detectors: { rate_spike: { action: "alert", minScore: 0.7 } },
      dryRun: true,
    });
    expect(policy.dryRun).toBe(true);
    expect(policy.thresholds).toEqual(DEFAULT_POLICY.thresholds);
    expect(policy.detectors.rate_spike).toEqual({
      weight: 0.9,
      action: "alert",
      minScore: 0.7,
    });
    expect(policy.detectors.burst).toEqual(DEFAULT_POLICY.detectors.burst);
  });

  it("names every problem", () => {
    const attempt = () =>
      parsePolicy({
        version: 1,
        thresholds: { alert: 0.9, step_up: 0.5, revoke: 1 },
        detectors: { nonsense: {} },
      });
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(/detectors/);
    expect(() =>
      parsePolicy({
        version: 1,
        thresholds: { alert: 0.9, step_up: 0.5, revoke: 1 },
      }),
    ).toThrow(/alert <= step_up <= revoke/);
    expect(() =>
      parsePolicy({
        version: 1,
        suppressions: [{ id: "x", from: "2026-13-99T00:00:00Z" }],
      }),
    ).toThrow(/not a date-time/);
    expect(() => parsePolicy({ version: 2 })).toThrow(PolicyError);
  });
});
