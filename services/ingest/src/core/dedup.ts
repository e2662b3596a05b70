import { LRUCache } from "lru-cache";

export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000;
export const DEFAULT_DEDUP_MAX_ENTRIES = 1_000_000;

/**
 * Event ids seen in the last `windowMs`, at most `maxEntries` of them (the oldest go
 * first), so memory stays bounded however many gateways retry. An id is remembered only
 * once its event was durably forwarded: remembering earlier would turn a retried batch
 * into "duplicates" and lose it.
 */
export interface Deduplicator {
  seen(key: string): boolean;
  remember(keys: Iterable<string>): void;
  readonly size: number;
}

export function createDeduplicator(options: {
  readonly windowMs: number;
  readonly maxEntries: number;
  /** Milliseconds clock; injectable so tests can move time. */
  readonly now?: () => number;
}): Deduplicator {
  const cache = new LRUCache<string, true>({
    max: options.maxEntries,
    ttl: options.windowMs,
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  return {
    seen: (key) => cache.has(key),
    remember(keys) {
      for (const key of keys) cache.set(key, true);
    },
    get size() {
      return cache.size;
    },
  };
}

/** Event ids are unique per tenant; the NUL keeps `a`+`bc` apart from `ab`+`c`. */
export function dedupKey(tenant: string, eventId: string): string {
  return `${tenant}\u0000${eventId}`;
}
