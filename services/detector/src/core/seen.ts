/**
 * What an agent has been seen to use that the baseline does not list (counterparties per tool,
 * user agents): a few 32-bit hashes per set in one small array, plus how often the set was
 * consulted and how many distinct values it met, so novelty is estimated from the agent's own
 * history (Good–Turing: P(new) ≈ (distinct + 1) / (uses + 2)). Bounded: the oldest hash is
 * overwritten when a set is full, so a value not seen for a long time may count as new again.
 */

export const SEEN_SETS = ["counterparty", "client"] as const;
export type SeenSet = (typeof SEEN_SETS)[number];
const SLOTS_PER_SET = 32;

export interface SeenSets {
  readonly hashes: Uint32Array;
  /** Per set: next slot to overwrite, events that carried a value, distinct values met. */
  readonly next: Uint16Array;
  readonly uses: Uint32Array;
  readonly distinct: Uint32Array;
}

export function createSeenSets(): SeenSets {
  return {
    hashes: new Uint32Array(SEEN_SETS.length * SLOTS_PER_SET),
    next: new Uint16Array(SEEN_SETS.length),
    uses: new Uint32Array(SEEN_SETS.length),
    distinct: new Uint32Array(SEEN_SETS.length),
  };
}

/** FNV-1a, 32 bits, never 0 (0 marks an empty slot). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

export interface Sighting {
  /** False the first time this value is met (within the set's memory). */
  readonly known: boolean;
  /** Events that carried a value and distinct values, before this one. */
  readonly uses: number;
  readonly distinct: number;
}

/** Records `value` in `set`; says whether it was known and what the set had seen before. */
export function sight(sets: SeenSets, set: SeenSet, value: string): Sighting {
  const index = SEEN_SETS.indexOf(set);
  const h = hash32(value);
  const start = index * SLOTS_PER_SET;
  const uses = sets.uses[index] ?? 0;
  const distinct = sets.distinct[index] ?? 0;
  sets.uses[index] = uses + 1;
  for (let i = start; i < start + SLOTS_PER_SET; i++)
    if (sets.hashes[i] === h) return { known: true, uses, distinct };
  const slot = sets.next[index] ?? 0;
  sets.hashes[start + slot] = h;
  sets.next[index] = (slot + 1) % SLOTS_PER_SET;
  sets.distinct[index] = distinct + 1;
  return { known: false, uses, distinct };
}
