/**
 * What an agent (or its peer group) has been seen to use that the baseline does not list
 * (counterparties per tool, user agents, catalogued control-plane actions: the baseline's top-K
 * vocabulary drops an infrastructure role's rare-but-regular changes, and evictable agent state
 * would forget them after two idle hours): a few 32-bit hashes per set in one small array, each
 * with a saturating count, plus how often the set was consulted and how many distinct values it
 * met, so novelty is estimated from that history (Good–Turing: P(new) ≈ (n₁ + 1) / (uses + 2),
 * n₁ the values met exactly once). Bounded: the oldest hash is overwritten when a set is full, so
 * a value not seen for a long time may count as new again.
 */

import type { TransitionMemory } from "./transitions.js";

export const SEEN_SETS = ["counterparty", "client", "control", "flag"] as const;
export type SeenSet = (typeof SEEN_SETS)[number];
/**
 * Slots of each set: an agent's catalogued control-plane actions are a handful (the catalogue
 * has ~20 entries), so 16 keep them all; "flag" holds the first uses already reported
 * (detectors/types.ts flagOnce), as many as the agent state's own list.
 */
const SLOTS: Readonly<Record<SeenSet, number>> = {
  counterparty: 32,
  client: 32,
  control: 16,
  flag: 32,
};
const START: Readonly<Record<SeenSet, number>> = {
  counterparty: 0,
  client: SLOTS.counterparty,
  control: SLOTS.counterparty + SLOTS.client,
  flag: SLOTS.counterparty + SLOTS.client + SLOTS.control,
};
const TOTAL_SLOTS =
  SLOTS.counterparty + SLOTS.client + SLOTS.control + SLOTS.flag;

export interface SeenSets {
  readonly hashes: Uint32Array;
  /** Sightings of each hash, saturating at 255 (only "once" or "more" matters). */
  readonly counts: Uint8Array;
  /** Per set: next slot to overwrite, events that carried a value, distinct values met. */
  readonly next: Uint16Array;
  readonly uses: Uint32Array;
  readonly distinct: Uint32Array;
  /** Its action transitions (transitions.ts), from its second call within a window on. */
  transitions: TransitionMemory | undefined;
}

export function createSeenSets(): SeenSets {
  return {
    transitions: undefined,
    hashes: new Uint32Array(TOTAL_SLOTS),
    counts: new Uint8Array(TOTAL_SLOTS),
    next: new Uint16Array(SEEN_SETS.length),
    uses: new Uint32Array(SEEN_SETS.length),
    distinct: new Uint32Array(SEEN_SETS.length),
  };
}

/** FNV-1a, 32 bits, never 0 (0 marks an empty slot). */
export function hash32(text: string): number {
  return fnv(0x811c9dc5, text) >>> 0 || 1;
}

/** hash32 of `${first}\u0000${second}`, without building that string (once per call scored). */
export function hash32Pair(first: string, second: string): number {
  return fnv(Math.imul(fnv(0x811c9dc5, first), 0x01000193), second) >>> 0 || 1;
}

function fnv(seed: number, text: string): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

export interface Sighting {
  /** False the first time this value is met (within the set's memory). */
  readonly known: boolean;
  /** Events that carried a value and distinct values, before this one. */
  readonly uses: number;
  readonly distinct: number;
  /**
   * Values met exactly once before this one; while the set has forgotten none (distinct within
   * its slots), else `distinct`, the cautious stand-in (every forgotten value may have been one).
   */
  readonly singletons: number;
}

/** Good–Turing surprise of a value new to a set, in bits: −log₂((n₁ + 1) / (uses + 2)). */
export function newValueBits(sighting: Sighting): number {
  return Math.log2((sighting.uses + 2) / (sighting.singletons + 1));
}

/** Records `value` in `set`; says whether it was known and what the set had seen before. */
export function sight(sets: SeenSets, set: SeenSet, value: string): Sighting {
  const index = SEEN_SETS.indexOf(set);
  const h = hash32(value);
  const start = START[set];
  const slots = SLOTS[set];
  const uses = sets.uses[index] ?? 0;
  const distinct = sets.distinct[index] ?? 0;
  sets.uses[index] = uses + 1;
  let singletons = 0;
  for (let i = start; i < start + slots; i++) {
    const count = sets.counts[i] ?? 0;
    if (sets.hashes[i] === h) {
      if (count < 255) sets.counts[i] = count + 1;
      return { known: true, uses, distinct, singletons: 0 };
    }
    if (count === 1) singletons++;
  }
  const slot = sets.next[index] ?? 0;
  sets.hashes[start + slot] = h;
  sets.counts[start + slot] = 1;
  sets.next[index] = (slot + 1) % slots;
  sets.distinct[index] = distinct + 1;
  return {
    known: false,
    uses,
    distinct,
    singletons: distinct > slots ? distinct : singletons,
  };
}
