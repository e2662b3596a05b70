import type { RobustStats } from "@warden/shared";

/**
 * A multiset of numbers that stays sorted under inserts and removals, for the replay's
 * sliding-window statistics. Sorted blocks of at most BLOCK_MAX values (a square-root
 * decomposition): an insert or removal moves at most one block's worth of values, and the
 * k-th smallest is found by walking the block sizes, so a tenant-wide sample of a million
 * values stays cheap to update and to query.
 */

const BLOCK_MAX = 1024;

export class OrderedSample {
  private readonly blocks: number[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the first block whose last value is >= value (the last block when none is). */
  private blockFor(value: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = this.blocks[mid] as number[];
      if ((block[block.length - 1] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(value: number): void {
    this.count++;
    if (this.blocks.length === 0) {
      this.blocks.push([value]);
      return;
    }
    const index = this.blockFor(value);
    const block = this.blocks[index] as number[];
    block.splice(lowerBound(block, value), 0, value);
    if (block.length > BLOCK_MAX)
      this.blocks.splice(index + 1, 0, block.splice(BLOCK_MAX / 2));
  }

  /** Removes one occurrence of `value`; false when there was none. */
  remove(value: number): boolean {
    if (this.blocks.length === 0) return false;
    const index = this.blockFor(value);
    const block = this.blocks[index] as number[];
    const at = lowerBound(block, value);
    if (block[at] !== value) return false;
    block.splice(at, 1);
    if (block.length === 0) this.blocks.splice(index, 1);
    this.count--;
    return true;
  }

  /** The k-th smallest value, 0-based; k must be in [0, size). */
  at(k: number): number {
    let rest = k;
    for (const block of this.blocks) {
      if (rest < block.length) return block[rest] as number;
      rest -= block.length;
    }
    throw new RangeError(`index ${k} outside a sample of ${this.count}`);
  }
}

function lowerBound(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** ClickHouse's quantileExact: the value at position floor(level × n) of the sorted sample. */
export function quantileIndex(level: number, size: number): number {
  return Math.min(size - 1, Math.floor(level * size));
}

/**
 * The k-th smallest |x - median| (0-based), with the median at sorted position `split`:
 * distances grow outwards on both sides, so this is the k-th element of two merged sorted
 * runs, found by bisecting how many come from the left run.
 */
function kthDeviation(
  sample: OrderedSample,
  split: number,
  median: number,
  k: number,
): number {
  const leftLength = split;
  const rightLength = sample.size - split;
  const left = (i: number): number => median - sample.at(split - 1 - i);
  const right = (j: number): number => sample.at(split + j) - median;
  const take = k + 1;
  let lo = Math.max(0, take - rightLength);
  let hi = Math.min(take, leftLength);
  for (;;) {
    const i = (lo + hi) >>> 1;
    const j = take - i;
    if (i < leftLength && j > 0 && right(j - 1) > left(i)) lo = i + 1;
    else if (i > 0 && j < rightLength && left(i - 1) > right(j)) hi = i - 1;
    else
      return Math.max(
        i > 0 ? left(i - 1) : -Infinity,
        j > 0 ? right(j - 1) : -Infinity,
      );
  }
}

/**
 * Median, MAD, p95, p99 and max exactly as the baseline service's SQL computes them
 * (services/baseline/src/store/baseline-queries.ts: quantileExact, nearest rank).
 */
export function robustStatsOf(sample: OrderedSample): RobustStats | undefined {
  const n = sample.size;
  if (n === 0) return undefined;
  const split = quantileIndex(0.5, n);
  const median = sample.at(split);
  return {
    median,
    mad: kthDeviation(sample, split, median, quantileIndex(0.5, n)),
    p95: sample.at(quantileIndex(0.95, n)),
    p99: sample.at(quantileIndex(0.99, n)),
    max: sample.at(n - 1),
  };
}
