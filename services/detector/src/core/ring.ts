/**
 * Event-time windows as rings of fixed-width buckets inside one Uint32Array, so an agent's
 * windows cost a few hundred bytes whatever its rate. A ring holds `buckets` buckets of
 * `widthMs`; `head` is the absolute bucket number (time / width) of the newest bucket.
 *
 * Late events: an event whose bucket is still in the ring is added to it; an older one is not
 * counted in windows (it is still scored by the detectors that do not use windows). A window
 * sum therefore covers between `span - width` and `span` of event time before the newest event.
 */
export interface RingLayout {
  /** First index of the ring inside the shared array. */
  readonly offset: number;
  readonly buckets: number;
  readonly widthMs: number;
}

const MAX_BUCKET_VALUE = 0xffffffff;

/** Moves the ring's head to `timeMs`'s bucket, clearing the buckets it passes; returns the new head. */
export function advanceRing(
  cells: Uint32Array,
  ring: RingLayout,
  head: number,
  timeMs: number,
): number {
  const bucket = Math.floor(timeMs / ring.widthMs);
  if (bucket <= head) return head;
  const steps = Math.min(bucket - head, ring.buckets);
  for (let i = 1; i <= steps; i++)
    cells[ring.offset + ((head + i) % ring.buckets)] = 0;
  return bucket;
}

/** Adds `value` to `timeMs`'s bucket when it is inside the ring (call advanceRing first). */
export function addToRing(
  cells: Uint32Array,
  ring: RingLayout,
  head: number,
  timeMs: number,
  value: number,
): boolean {
  const bucket = Math.floor(timeMs / ring.widthMs);
  if (bucket > head || bucket <= head - ring.buckets) return false;
  const index = ring.offset + (bucket % ring.buckets);
  // Saturate instead of wrapping: a window that overflows 4 GiB is anomalous either way.
  cells[index] = Math.min(MAX_BUCKET_VALUE, (cells[index] ?? 0) + value);
  return true;
}

/** Sum of the newest `count` buckets (at most the ring's size). */
export function sumRing(
  cells: Uint32Array,
  ring: RingLayout,
  head: number,
  count: number,
): number {
  let total = 0;
  const n = Math.min(count, ring.buckets);
  for (let i = 0; i < n; i++)
    total += cells[ring.offset + ((head - i) % ring.buckets)] ?? 0;
  return total;
}
