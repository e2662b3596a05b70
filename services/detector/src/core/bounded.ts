/**
 * Small bounded collections for per-agent state: insertion-ordered Maps that drop their
 * oldest entry when full, so no agent's state grows with its traffic.
 */

/** Sets `key` to `value` (moving it to the newest position); drops the oldest entry past `cap`. */
export function rememberBounded<V>(
  map: Map<string, V>,
  key: string,
  value: V,
  cap: number,
): void {
  // Most events repeat the newest key (one credential, one agent): update it in place.
  if (map.size === 1 && map.has(key)) {
    map.set(key, value);
    return;
  }
  map.delete(key);
  map.set(key, value);
  if (map.size > cap) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/** Deletes entries whose time is at or before `cutoffMs`; returns how many remain. */
export function forgetBefore(
  map: Map<string, number>,
  cutoffMs: number,
): number {
  for (const [key, timeMs] of map) if (timeMs <= cutoffMs) map.delete(key);
  return map.size;
}
