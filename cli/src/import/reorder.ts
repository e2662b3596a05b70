/**
 * Puts events back into event-time order within a bounded window, for `warden replay` (which
 * reads in file order, as if live). CloudTrail delivers each region's files separately and a
 * file's records are only roughly ordered, so a trail read file by file is out of order by
 * minutes. Up to `capacity` events are held; when full, the older half is released in time
 * order. An event older than one already released cannot be put back: it is released at once
 * and counted, never dropped.
 */
export interface ReorderBuffer<T> {
  /** Adds an event; returns the events now released, in time order. */
  push(timeMs: number, item: T): T[];
  /** Releases everything held, in time order. */
  drain(): T[];
  /** Events released after a later one (the window was too small for them). */
  readonly outOfOrder: number;
}

export const DEFAULT_REORDER_WINDOW = 200_000;

export function createReorderBuffer<T>(
  capacity = DEFAULT_REORDER_WINDOW,
): ReorderBuffer<T> {
  if (!Number.isInteger(capacity) || capacity < 2)
    throw new RangeError(
      `reorder window must be an integer of at least 2, got ${capacity}`,
    );
  let held: { timeMs: number; seq: number; item: T }[] = [];
  let seq = 0;
  let releasedUpTo = -Infinity;
  let outOfOrder = 0;
  const sort = () => held.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
  return {
    push(timeMs, item) {
      if (timeMs < releasedUpTo) {
        outOfOrder++;
        return [item];
      }
      held.push({ timeMs, seq: seq++, item });
      if (held.length < capacity) return [];
      sort();
      const released = held.slice(0, capacity >> 1);
      held = held.slice(capacity >> 1);
      releasedUpTo = released.at(-1)?.timeMs ?? releasedUpTo;
      return released.map((entry) => entry.item);
    },
    drain() {
      sort();
      const released = held.map((entry) => entry.item);
      releasedUpTo = held.at(-1)?.timeMs ?? releasedUpTo;
      held = [];
      return released;
    },
    get outOfOrder() {
      return outOfOrder;
    },
  };
}
