import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AgentState } from "./agent-state.js";
import { DETECTOR_INDEX, type DetectorResult } from "./detectors/types.js";
import { fisherBits } from "./evidence.js";
import { accumulateEvidence, detectorBits } from "./incident.js";

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

/** Only the incident's fields: accumulateEvidence reads and writes nothing else. */
const freshState = (): AgentState =>
  ({ evidence: undefined, evidenceAtMs: 0 }) as unknown as AgentState;

const HALF_LIFE = 600_000;

describe("evidence within an incident", () => {
  it("facts of one detector combine by Fisher's method, not as a plain sum", () => {
    const state = freshState();
    accumulateEvidence(state, 1000, [result("novel_action", 8)], HALF_LIFE);
    const two = accumulateEvidence(
      state,
      1000,
      [result("novel_action", 8)],
      HALF_LIFE,
    );
    expect(two).toBeCloseTo(fisherBits(16, 2), 5);
    expect(two).toBeGreaterThan(8);
    expect(two).toBeLessThan(16);
    // The total stays what the engine reads for its reasons.
    expect(state.evidence?.[DETECTOR_INDEX.novel_action]).toBe(16);
    // A detector that re-measures one condition keeps its maximum.
    const other = freshState();
    accumulateEvidence(other, 0, [result("burst", 30)], HALF_LIFE);
    expect(accumulateEvidence(other, 0, [result("burst", 20)], HALF_LIFE)).toBe(
      30,
    );
  });

  it("one extreme fact decides alone; weak facts never lower it (property)", () => {
    const facts = fc.array(fc.double({ min: 0.01, max: 64, noNaN: true }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        facts,
        fc.double({ min: 0.01, max: 64, noNaN: true }),
        (list, extra) => {
          const state = freshState();
          let before = 0;
          for (const bits of list)
            before = accumulateEvidence(
              state,
              0,
              [result("control_plane", bits)],
              HALF_LIFE,
            );
          expect(before).toBeGreaterThanOrEqual(Math.max(...list) * (1 - 1e-6));
          const after = accumulateEvidence(
            state,
            0,
            [result("control_plane", extra)],
            HALF_LIFE,
          );
          expect(after).toBeGreaterThanOrEqual(before * (1 - 1e-6));
          // Order-independent: the same facts in reverse give the same evidence.
          const reversed = freshState();
          let again = 0;
          for (const bits of [extra, ...list].reverse())
            again = accumulateEvidence(
              reversed,
              0,
              [result("control_plane", bits)],
              HALF_LIFE,
            );
          expect(again).toBeCloseTo(after, 3);
        },
      ),
    );
  });

  it("facts decay with their detector's total and are forgotten with it", () => {
    const state = freshState();
    accumulateEvidence(state, 0, [result("novel_action", 8)], HALF_LIFE);
    accumulateEvidence(state, 0, [result("novel_action", 8)], HALF_LIFE);
    const later = accumulateEvidence(state, HALF_LIFE, [], HALF_LIFE);
    expect(later).toBeCloseTo(fisherBits(8, 2), 4);
    expect(
      detectorBits(state.evidence, DETECTOR_INDEX.novel_action),
    ).toBeCloseTo(later, 5);
    expect(accumulateEvidence(state, 20 * HALF_LIFE, [], HALF_LIFE)).toBe(0);
    expect(state.evidence).toBeUndefined();
  });
});
