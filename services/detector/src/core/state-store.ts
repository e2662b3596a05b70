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
 *
 * Issue 16: with `groupOf` (the tenant of a key) no group holds more than
 * `maxEntriesPerGroup`: a group at its quota drops its own least recently placed entry for a
 * new one, so one tenant's agent-id flood recycles its own share and never evicts another
 * tenant's windows.
 */
const SWEEPS_PER_IDLE_PERIOD = 16;
const OVERFLOW_SLACK = 0.01;

/** Heap one agent's state costs, rounded up from the issue's ~2 KiB measurement. */
export const BYTES_PER_AGENT_STATE = 4 * 1024;
/** Share of the process's memory limit the agent states may take. */
export const AGENT_STATE_MEMORY_SHARE = 0.5;

/**
 * Most agent states that fit in the process's memory: the smaller of V8's heap limit and the
 * container's limit (cgroup, `process.constrainedMemory`), times the share, per state. The
 * default cap follows the pod, so a 1 GiB pod is not promised 500 000 agents (issue 16).
 */
export function agentsForMemory(limitBytes: number): number {
  return Math.max(
    1,
    Math.floor((limitBytes * AGENT_STATE_MEMORY_SHARE) / BYTES_PER_AGENT_STATE),
  );
}

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
  readonly maxEntriesPerGroup?: number;
  readonly groupOf?: (key: string) => string;
}): BoundedStore<V> {
  const entries = new Map<string, Entry<V>>();
  const { groupOf } = options;
  const perGroup = options.maxEntriesPerGroup ?? options.maxEntries;
  // Per group, its keys in the same (coarsened) activity order as `entries`.
  const groups = new Map<string, Set<string>>();

  function drop(key: string): void {
    entries.delete(key);
    evicted++;
    if (!groupOf) return;
    const group = groupOf(key);
    const members = groups.get(group);
    members?.delete(key);
    if (members?.size === 0) groups.delete(group);
  }

  function place(key: string): void {
    if (!groupOf) return;
    const group = groupOf(key);
    let members = groups.get(group);
    if (!members) groups.set(group, (members = new Set()));
    members.delete(key);
    members.add(key);
    if (members.size > perGroup)
      for (const oldest of members) {
        if (members.size <= perGroup) break;
        if (oldest !== key) drop(oldest);
      }
  }
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
      drop(key);
    }
  }

  return {
    touch(key, nowMs, create) {
      let entry = entries.get(key);
      if (!entry) {
        entry = { value: create(), lastMs: nowMs, placedMs: nowMs };
        entries.set(key, entry);
        place(key);
      } else {
        entry.lastMs = Math.max(entry.lastMs, nowMs);
        if (entry.lastMs - entry.placedMs > reorderMs) {
          entries.delete(key);
          entry.placedMs = entry.lastMs;
          entries.set(key, entry);
          place(key);
        }
      }
      if (nowMs >= nextSweepMs) {
        nextSweepMs = nowMs + reorderMs;
        sweepIdle(nowMs);
      }
      if (entries.size > options.maxEntries)
        for (const front of entries.keys()) {
          if (entries.size <= refillTo || front === key) break;
          drop(front);
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
