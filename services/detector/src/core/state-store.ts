/**
 * A bounded map of per-key state: at most `maxEntries` entries (the least recently active
 * dropped first) and entries idle for `idleMs` of event time dropped.
 *
 * The Map's insertion order is the activity order, coarsened: an entry is moved to the end
 * (delete + set) only when its position time `placedMs` is more than `reorderMs` old, so a busy
 * entry costs a Map lookup per event instead of a delete and an insert. Positions are sorted
 * by `placedMs` and `placedMs ≤ lastMs`, so an idle sweep may stop at the first entry placed
 * after the cutoff: every entry behind it was active after the cutoff too.
 *
 * Eviction runs in sweeps, not on every touch: walking a Map from its front also walks the
 * slots its deletions left behind, so doing it per event costs more than all the scoring.
 * Idle entries are swept once per `reorderMs` of event time; past the cap the front entries are
 * dropped down to `maxEntries × (1 − OVERFLOW_SLACK)` at once.
 */
const SWEEPS_PER_IDLE_PERIOD = 16;
const OVERFLOW_SLACK = 0.01;

export interface BoundedStore<V> {
  /** The entry for `key` (created with `create` when missing), marked active at `nowMs`. */
  touch(key: string, nowMs: number, create: () => V): V;
  get(key: string): V | undefined;
  readonly size: number;
  /** Entries dropped so far because the store was full or they were idle. */
  readonly evicted: number;
}

interface Entry<V> {
  readonly value: V;
  lastMs: number;
  placedMs: number;
}

export function createBoundedStore<V>(options: {
  readonly maxEntries: number;
  readonly idleMs: number;
}): BoundedStore<V> {
  const entries = new Map<string, Entry<V>>();
  const reorderMs = Math.max(1, options.idleMs / SWEEPS_PER_IDLE_PERIOD);
  const refillTo =
    options.maxEntries - Math.floor(options.maxEntries * OVERFLOW_SLACK);
  let evicted = 0;
  let nextSweepMs = -Infinity;

  function sweepIdle(nowMs: number): void {
    const cutoff = nowMs - options.idleMs;
    for (const [key, entry] of entries) {
      if (entry.placedMs > cutoff) break;
      if (entry.lastMs > cutoff) continue;
      entries.delete(key);
      evicted++;
    }
  }

  return {
    touch(key, nowMs, create) {
      let entry = entries.get(key);
      if (!entry) {
        entry = { value: create(), lastMs: nowMs, placedMs: nowMs };
        entries.set(key, entry);
      } else {
        entry.lastMs = Math.max(entry.lastMs, nowMs);
        if (entry.lastMs - entry.placedMs > reorderMs) {
          entries.delete(key);
          entry.placedMs = entry.lastMs;
          entries.set(key, entry);
        }
      }
      if (nowMs >= nextSweepMs) {
        nextSweepMs = nowMs + reorderMs;
        sweepIdle(nowMs);
      }
      if (entries.size > options.maxEntries)
        for (const front of entries.keys()) {
          if (entries.size <= refillTo || front === key) break;
          entries.delete(front);
          evicted++;
        }
      return entry.value;
    },
    get: (key) => entries.get(key)?.value,
    get size() {
      return entries.size;
    },
    get evicted() {
      return evicted;
    },
  };
}
