import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OrderedSample, robustStatsOf } from "./ordered-sample.js";

/** The SQL's definition, computed the slow way: sort, take floor(level × n). */
function reference(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (level: number, list: number[]) =>
    list[Math.min(list.length - 1, Math.floor(level * list.length))] as number;
  const median = at(0.5, sorted);
  const deviations = sorted
    .map((value) => Math.abs(value - median))
    .sort((a, b) => a - b);
  return {
    median,
    mad: at(0.5, deviations),
    p95: at(0.95, sorted),
    p99: at(0.99, sorted),
    max: sorted[sorted.length - 1],
  };
}

describe("OrderedSample", () => {
  it("matches quantileExact and the MAD of the SQL after any inserts and removals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), {
          minLength: 1,
          maxLength: 3000,
        }),
        fc.array(fc.nat(), { maxLength: 1500 }),
        (values, removals) => {
          const sample = new OrderedSample();
          for (const value of values) sample.insert(value);
          const kept = [...values];
          for (const pick of removals) {
            if (kept.length <= 1) break;
            const [value] = kept.splice(pick % kept.length, 1);
            expect(sample.remove(value as number)).toBe(true);
          }
          expect(sample.size).toBe(kept.length);
          expect(robustStatsOf(sample)).toEqual(reference(kept));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("stays sorted across block splits and refuses to remove what it does not hold", () => {
    const sample = new OrderedSample();
    const values = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    for (const value of values) sample.insert(value);
    expect(Array.from({ length: 5000 }, (_, i) => sample.at(i))).toEqual(
      [...values].sort((a, b) => a - b),
    );
    expect(sample.remove(5001)).toBe(false);
    expect(robustStatsOf(new OrderedSample())).toBeUndefined();
  });
});
