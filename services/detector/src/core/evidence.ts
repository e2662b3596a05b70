import type { RobustStats, Vocabulary } from "@warden/shared";

/**
 * Evidence in one unit: bits of surprise, −log₂ P(an observation at least this extreme | the
 * agent's or its peer group's history), each probability estimated from that history. A
 * healthy agent produces an observation of b bits or more with probability at most 2^−b, so a
 * cut-off in bits is a false-alarm rate (risk.ts turns budgets into cut-offs).
 */

const LN2 = Math.LN2;

/** Never more than this from one estimate: a history of n samples cannot say more than ~log₂ n. */
export const MAX_BITS = 64;
/**
 * Steepest Pareto tail assumed beyond a history's maximum: a flat history (p95 = p99 = max) of a
 * few days has not seen the agent's rare busy moments, so its tail is not taken as thin.
 */
const MAX_TAIL_INDEX = 1.5;

function bitsOf(probability: number): number {
  if (!(probability < 1)) return 0;
  if (!(probability > 0)) return MAX_BITS;
  return Math.min(MAX_BITS, -Math.log2(probability));
}

/**
 * Upper-tail surprise of `value` under a distribution summarised by robust statistics over `n`
 * samples. Inside the sample the tail probability is interpolated in log space between the
 * quantiles (p95 → 0.05, p99 → 0.01, max → 1/(n+1)); beyond the maximum a Pareto tail whose
 * index comes from the p95→p99 spacing (bounded so that a flat history is not infinitely sure).
 * `floor` is the smallest meaningful scale (one call, one KiB): values at or below it are 0 bits.
 */
export function tailBits(
  value: number,
  stats: RobustStats,
  n: number,
  floor = 1,
): number {
  const p95 = Math.max(stats.p95, stats.median, floor);
  const p99 = Math.max(stats.p99, p95);
  const max = Math.max(stats.max, p99);
  if (!(value > p95)) return 0;
  const pMax = Math.min(0.01, 1 / (Math.max(1, n) + 1));
  const points: readonly (readonly [number, number])[] = [
    [p95, 0.05],
    [p99, 0.01],
    [max, pMax],
  ];
  for (let i = 1; i < points.length; i++) {
    const [x0, q0] = points[i - 1] as readonly [number, number];
    const [x1, q1] = points[i] as readonly [number, number];
    if (value <= x1) {
      if (x1 <= x0) return bitsOf(q1);
      const f = Math.log(value / x0) / Math.log(x1 / x0);
      return bitsOf(Math.exp(Math.log(q0) + f * (Math.log(q1) - Math.log(q0))));
    }
  }
  const spacing = Math.log(p99 / p95);
  const alpha =
    spacing > 0
      ? Math.min(MAX_TAIL_INDEX, Math.max(0.5, Math.log(5) / spacing))
      : MAX_TAIL_INDEX;
  return Math.min(MAX_BITS, bitsOf(pMax) + alpha * Math.log2(value / max));
}

/**
 * Surprise of seeing at least `k` events where `lambda` are expected (Chernoff bound on the
 * Poisson tail, in bits): 0 at or below the expectation.
 */
export function poissonBits(k: number, lambda: number): number {
  const mean = Math.max(lambda, 1e-6);
  if (!(k > mean)) return 0;
  return Math.min(MAX_BITS, (k * Math.log(k / mean) - (k - mean)) / LN2);
}

export type Novelty = "seen" | "new" | "rare";

/** The answer for a value in the history (shared: the common case allocates nothing). */
export const SEEN: { readonly status: Novelty; readonly bits: number } =
  Object.freeze({ status: "seen", bits: 0 });

/**
 * Surprise of a value of one field given the history's vocabulary. A value in the vocabulary
 * is "seen" (0 bits: a known value is no evidence of anything). A value missing from a
 * complete vocabulary is "new": Good–Turing estimates the chance of any new value as the share
 * of values seen once, (n₁ + 1) / (N + 2). Missing from a truncated one, it is "rare": the
 * chance is the mass outside the listed values.
 */
export function noveltyBits(
  vocabulary: Vocabulary,
  value: string,
): { readonly status: Novelty; readonly bits: number } {
  let listed = 0;
  let singletons = 0;
  for (const [known, count] of vocabulary.top) {
    if (known === value) return SEEN;
    listed += count;
    if (count === 1) singletons++;
  }
  const total = Math.max(vocabulary.total, listed);
  if (vocabulary.distinct > vocabulary.top.length)
    return {
      status: "rare",
      bits: bitsOf((total - listed + 1) / (total + 2)),
    };
  return { status: "new", bits: bitsOf((singletons + 1) / (total + 2)) };
}

/** `value` decayed over `elapsedMs` with a half-life. */
export function decay(
  value: number,
  elapsedMs: number,
  halfLifeMs: number,
): number {
  if (!(elapsedMs > 0)) return value;
  if (!(halfLifeMs > 0)) return 0;
  return value * Math.pow(2, -elapsedMs / halfLifeMs);
}

/**
 * Detectors that read the same underlying fact (one new tool brings a new resource type and a
 * new verb with it) form a family; within a family the strongest counts fully and the others at
 * this share, so correlated signals are not counted as independent ones.
 */
export const WITHIN_FAMILY_SHARE = 0.5;

export interface Evidence {
  readonly family: string;
  readonly bits: number;
}

/**
 * Surprise of a sum of `k` independent surprises totalling `bits` (Fisher's method): k healthy
 * signals reach a sum of x nats with probability e^−x Σ_{i<k} x^i / i!, so the sum of several
 * weak signals is worth less than one signal of the same size.
 */
export function fisherBits(bits: number, k: number): number {
  if (!(bits > 0)) return 0;
  const x = bits * LN2;
  let term = 1;
  let series = 1;
  for (let i = 1; i < k; i++) {
    term *= x / i;
    series += term;
  }
  return Math.max(0, bits - Math.log2(series));
}

/**
 * The combination rule. Within a family: max + ρ · (Σ − max) of its bits. Across families the
 * contributions are independent evidence, combined by Fisher's method over the strongest j
 * families, taking the j that says most. Monotone (more bits anywhere never lowers it: every
 * prefix sum only grows), order-independent (a function of the multiset), never below the
 * strongest single signal (j = 1: one extreme signal decides alone), and calibrated like one
 * signal (a healthy agent reaches b bits with probability at most 2^−b).
 */
export function combineEvidence(items: Iterable<Evidence>): number {
  const families = new Map<string, { max: number; sum: number }>();
  for (const { family, bits } of items) {
    if (!(bits > 0)) continue;
    const entry = families.get(family);
    if (entry) {
      entry.max = Math.max(entry.max, bits);
      entry.sum += bits;
    } else families.set(family, { max: bits, sum: bits });
  }
  const contributions = [...families.values()]
    .map(({ max, sum }) => max + WITHIN_FAMILY_SHARE * (sum - max))
    .sort((a, b) => b - a);
  let best = 0;
  let prefix = 0;
  contributions.forEach((bits, i) => {
    prefix += bits;
    best = Math.max(best, fisherBits(prefix, i + 1));
  });
  return best;
}
