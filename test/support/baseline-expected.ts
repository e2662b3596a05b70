import { hourlyFactor, type KindSpec } from "@warden/simulator";
import type { Plan } from "@warden/simulator";

/**
 * What a baseline *should* say about a simulated agent, derived from the simulator's own
 * parameters (kind catalogue, agent weight, scale) rather than from its output.
 *
 * Rates: the simulator draws each kind's calls per UTC hour as one Poisson process and hands
 * each call to an agent in proportion to its weight, at a uniform time within the hour. So an
 * agent of a kind without runs or bursts receives, in every bucket (minute or hour), an
 * independent Poisson count with mean `scale × weight × callsPerDay / 24 × hourlyFactor ×
 * bucket/hour`. The baseline's median is ClickHouse's `quantileExact(0.5)` over the buckets
 * with at least one call: the value at 0-based position ⌊N/2⌋ of the N sorted counts.
 */

const HOUR_MS = 3_600_000;

/** The mean calls of one background-only agent in each `bucketMs` bucket of the run. */
export function bucketMeans(
  plan: Plan,
  agent: number,
  kind: KindSpec,
  bucketMs: number,
): number[] {
  if (kind.run || kind.bursts)
    throw new Error(
      `${kind.name} has runs or bursts: its counts are not Poisson per bucket`,
    );
  const weight = plan.population.weight[agent] ?? 0;
  const means: number[] = [];
  for (let at = plan.startMs; at < plan.endMs; at += bucketMs) {
    const date = new Date(at);
    const day = date.getUTCDay();
    const perHour =
      (plan.scale *
        weight *
        kind.callsPerDay *
        hourlyFactor(kind, date.getUTCHours(), day === 0 || day === 6)) /
      24;
    means.push((perHour * bucketMs) / HOUR_MS);
  }
  return means;
}

function poissonAtMost(mean: number, m: number): number {
  let term = Math.exp(-mean);
  let sum = term;
  for (let k = 1; k <= m; k += 1) {
    term *= mean / k;
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * P(median of the non-zero bucket counts ≤ m), exactly. With C the active buckets counting at
 * most m and N all active buckets, the ⌊N/2⌋-th order statistic is ≤ m exactly when C > N/2,
 * i.e. when D = Σ (+1 for an active bucket ≤ m, −1 for one above m, 0 for an idle one) > 0.
 * Buckets are independent, so D's distribution is a convolution, computed here by dynamic
 * programming over its integer values.
 */
export function medianAtMostProbability(
  means: readonly number[],
  m: number,
): number {
  const size = 2 * means.length + 1;
  const offset = means.length;
  let current = new Float64Array(size);
  let next = new Float64Array(size);
  current[offset] = 1;
  let low = offset;
  let high = offset;
  for (const mean of means) {
    const idle = Math.exp(-mean);
    if (idle === 1) continue;
    const atMost = poissonAtMost(mean, m) - idle;
    const above = 1 - idle - atMost;
    next.fill(0, low - 1, high + 2);
    for (let d = low; d <= high; d += 1) {
      const p = current[d] ?? 0;
      if (p === 0) continue;
      next[d] = (next[d] ?? 0) + p * idle;
      next[d + 1] = (next[d + 1] ?? 0) + p * atMost;
      next[d - 1] = (next[d - 1] ?? 0) + p * above;
    }
    [current, next] = [next, current];
    low -= 1;
    high += 1;
  }
  let positive = 0;
  for (let d = offset + 1; d <= high; d += 1) positive += current[d] ?? 0;
  return positive;
}

/**
 * How surprising an observed median is under the simulator's parameters: the smaller of
 * P(median ≤ observed) and P(median ≥ observed). A value below a small threshold means the
 * baseline's median does not come from the simulated process.
 */
export function medianTailProbability(
  means: readonly number[],
  observed: number,
): number {
  const atMost = medianAtMostProbability(means, observed);
  const below =
    observed >= 1 ? medianAtMostProbability(means, observed - 1) : 0;
  return Math.min(atMost, 1 - below);
}

/** The share of calls each value of `key` gets from a kind's action weights. */
export function expectedShares(
  actions: KindSpec["actions"],
  key: (action: KindSpec["actions"][number]) => string,
): Map<string, number> {
  const total = actions.reduce((sum, action) => sum + action.weight, 0);
  const shares = new Map<string, number>();
  for (const action of actions)
    shares.set(
      key(action),
      (shares.get(key(action)) ?? 0) + action.weight / total,
    );
  return shares;
}

/**
 * Half-width of the band a binomial share k/n stays in around p: five standard deviations
 * (two-sided probability of leaving it below 1e-6 in the normal approximation), plus 1/n for
 * the discreteness of small counts.
 */
export function shareTolerance(p: number, n: number): number {
  return 5 * Math.sqrt((p * (1 - p)) / n) + 1 / n;
}
