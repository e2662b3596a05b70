import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/**
 * Seeded randomness for the simulator. Two tools, for two jobs:
 * - `Rng` streams (pure-rand xoroshiro128+) for everything drawn in sequence; a run uses a
 *   few independent streams so that, say, arrivals do not shift when an event gains a field;
 * - `hash32`/`hashUnit` for attributes that must be a pure function of (seed, agent, …) —
 *   an agent's owner, IPs or credential — so nothing per agent has to be kept in memory.
 */
export type Rng = RandomGenerator;

/** Independent streams of one run: the same seed and stream always give the same sequence. */
export const STREAM = {
  arrivals: 1,
  events: 2,
  scenario: 3,
} as const;
export type Stream = (typeof STREAM)[keyof typeof STREAM];

export function createRng(seed: number, stream: Stream): Rng {
  return xoroshiro128plus(hash32(seed, stream, 0x5eed));
}

/** Uniform in [0, 1). */
export function unit(rng: Rng): number {
  return uniformFloat64(rng);
}

/** Uniform integer in [0, n). */
export function below(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(unit(rng) * n));
}

export function between(rng: Rng, min: number, max: number): number {
  return min + unit(rng) * (max - min);
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[below(rng, items.length)];
  if (item === undefined) throw new RangeError("pick from an empty list");
  return item;
}

export function standardNormal(rng: Rng): number {
  // Box–Muller; 1 - u keeps the logarithm finite.
  const u = 1 - unit(rng);
  const v = unit(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function logNormal(rng: Rng, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * standardNormal(rng));
}

/** Pareto with scale `minimum` and shape `alpha`: the heavy tail of transfer sizes. */
export function pareto(rng: Rng, minimum: number, alpha: number): number {
  return minimum / Math.pow(1 - unit(rng), 1 / alpha);
}

// Above this mean the normal approximation of the Poisson law is closer than a count can tell.
const POISSON_NORMAL_ABOVE = 500;
// Knuth's product method underflows and slows down for large means, so larger ones are summed.
const POISSON_KNUTH_CHUNK = 30;

/** A Poisson-distributed count with the given mean (>= 0). */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > POISSON_NORMAL_ABOVE)
    return Math.max(
      0,
      Math.round(mean + Math.sqrt(mean) * standardNormal(rng)),
    );
  let remaining = mean;
  let count = 0;
  while (remaining > 0) {
    const chunk = Math.min(remaining, POISSON_KNUTH_CHUNK);
    remaining -= chunk;
    const limit = Math.exp(-chunk);
    let product = unit(rng);
    while (product > limit) {
      count += 1;
      product *= unit(rng);
    }
  }
  return count;
}

/** Index i with probability (cumulative[i] - cumulative[i-1]) / last; `cumulative` ascending. */
export function sampleCumulative(
  rng: Rng,
  cumulative: Float64Array | readonly number[],
): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  const target = unit(rng) * total;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((cumulative[middle] ?? 0) > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

export function cumulativeOf(weights: readonly number[]): Float64Array {
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((weight, index) => {
    sum += weight;
    cumulative[index] = sum;
  });
  return cumulative;
}

/** Zipf popularity over `size` ranks (rank 0 most popular) with exponent `s`. */
export function zipfCumulative(size: number, s: number): Float64Array {
  return cumulativeOf(
    Array.from({ length: size }, (_, rank) => 1 / Math.pow(rank + 1, s)),
  );
}

/** A well-mixed unsigned 32-bit hash of up to four integers (murmur3's finaliser per step). */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = 0x9e3779b9;
  h = mixStep(h, a);
  h = mixStep(h, b);
  h = mixStep(h, c);
  h = mixStep(h, d);
  return h >>> 0;
}

function mixStep(h: number, value: number): number {
  let k = Math.imul(value | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let x = h ^ k;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x;
}

/** A pure uniform in [0, 1) from up to four integers. */
export function hashUnit(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / 0x1_0000_0000;
}

/** Eight lowercase hex digits of a hash, for ids that look like ids. */
export function hashHex(a: number, b = 0, c = 0, d = 0): string {
  return hash32(a, b, c, d).toString(16).padStart(8, "0");
}
