import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  STREAM,
  below,
  createRng,
  cumulativeOf,
  hash32,
  poisson,
  sampleCumulative,
  unit,
  zipfCumulative,
} from "./random.js";

function moments(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance =
    values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return { mean, variance };
}

describe("seeded randomness", () => {
  it("gives the same sequence for the same seed and stream, another for another", () => {
    const draw = (
      seed: number,
      stream: (typeof STREAM)[keyof typeof STREAM],
    ): number[] => {
      const rng = createRng(seed, stream);
      return Array.from({ length: 5 }, () => unit(rng));
    };
    expect(draw(1, STREAM.events)).toEqual(draw(1, STREAM.events));
    expect(draw(1, STREAM.events)).not.toEqual(draw(2, STREAM.events));
    expect(draw(1, STREAM.events)).not.toEqual(draw(1, STREAM.arrivals));
  });

  it.each([0.3, 4, 29.5, 31, 250, 4_000])(
    "draws Poisson counts with mean and variance %s",
    (mean) => {
      const rng = createRng(7, STREAM.arrivals);
      const { mean: observed, variance } = moments(
        Array.from({ length: 20_000 }, () => poisson(rng, mean)),
      );
      expect(observed).toBeGreaterThan(mean * 0.97 - 0.02);
      expect(observed).toBeLessThan(mean * 1.03 + 0.02);
      expect(variance).toBeGreaterThan(mean * 0.9 - 0.02);
      expect(variance).toBeLessThan(mean * 1.1 + 0.02);
    },
  );

  it("never draws a negative or fractional count, and zero for a zero mean", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.double({ min: 0, max: 2_000, noNaN: true }),
        (seed, mean) => {
          const count = poisson(createRng(seed, STREAM.arrivals), mean);
          expect(Number.isInteger(count) && count >= 0).toBe(true);
        },
      ),
    );
    expect(poisson(createRng(1, STREAM.arrivals), 0)).toBe(0);
  });

  it("keeps below(n) in [0, n)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 1e9 }),
        (seed, n) => {
          const value = below(createRng(seed, STREAM.events), n);
          expect(value >= 0 && value < n && Number.isInteger(value)).toBe(true);
        },
      ),
    );
  });

  it("samples indices in proportion to their weights", () => {
    const rng = createRng(3, STREAM.events);
    const counts = [0, 0, 0];
    const table = cumulativeOf([1, 0, 3]);
    for (let n = 0; n < 40_000; n += 1) {
      const index = sampleCumulative(rng, table);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / (counts[0] ?? 1)).toBeGreaterThan(2.8);
    expect((counts[2] ?? 0) / (counts[0] ?? 1)).toBeLessThan(3.2);
  });

  it("makes Zipf popularity: the top rank is drawn far more often than the tenth", () => {
    const rng = createRng(5, STREAM.events);
    const table = zipfCumulative(1000, 1.1);
    const counts = new Map<number, number>();
    for (let n = 0; n < 50_000; n += 1) {
      const rank = sampleCumulative(rng, table);
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
    }
    const ratio = (counts.get(0) ?? 0) / (counts.get(9) ?? 1);
    expect(ratio).toBeGreaterThan(9);
    expect(ratio).toBeLessThan(17);
  });

  it("hashes integers stably and spreads neighbours", () => {
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    const values = new Set(
      Array.from({ length: 10_000 }, (_, i) => hash32(42, i)),
    );
    expect(values.size).toBe(10_000);
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
  });
});
