/**
 * Transitions (one action followed by the next within a few minutes) an agent or a peer group
 * was seen to make, with how often: an open-addressing table of 16-bit fingerprints of the pairs
 * and their counts, a power of two in size. Bounded: when it is three-quarters full every count
 * is halved and the pairs seen once are forgotten, so memory keeps what is habitual and a pair
 * not made for a long time may be new again. 16 bits: two pairs share a fingerprint with chance
 * 1/65,536, a missed novelty now and then, never a false one. O(1) per call.
 */

import { hash32Pair } from "./seen.js";

export interface TransitionMemory {
  readonly prints: Uint16Array;
  readonly counts: Uint16Array;
  /** Pairs recorded, distinct pairs held, and held pairs seen exactly once. */
  uses: number;
  held: number;
  singletons: number;
}

/** Slots per agent (an agent's workflows rarely hold more distinct pairs) and per peer group. */
export const AGENT_TRANSITION_SLOTS = 64;
export const PEER_TRANSITION_SLOTS = 1024;

export function createTransitionMemory(slots: number): TransitionMemory {
  return {
    prints: new Uint16Array(slots),
    counts: new Uint16Array(slots),
    uses: 0,
    held: 0,
    singletons: 0,
  };
}

/** The pair's fingerprint: 16 bits of FNV-1a, never 0 (0 marks an empty slot). */
export function pairPrint(from: string, to: string): number {
  return hash32Pair(from, to) & 0xffff || 1;
}

function slotOf(prints: Uint16Array, print: number): number {
  const mask = prints.length - 1;
  let i = (print * 0x9e37) & mask;
  while (prints[i] !== 0 && prints[i] !== print) i = (i + 1) & mask;
  return i;
}

/**
 * Halves every count and re-inserts what is left (pairs seen once are forgotten). `uses`
 * becomes the sum of what is left: Good–Turing's sample size must be the sample the singletons
 * are counted in, or a thinned memory would claim a history it no longer holds (and judge a
 * new pair too surprising).
 */
function thin(memory: TransitionMemory): void {
  const prints = Uint16Array.from(memory.prints);
  const counts = Uint16Array.from(memory.counts);
  memory.prints.fill(0);
  memory.counts.fill(0);
  memory.held = 0;
  memory.singletons = 0;
  memory.uses = 0;
  for (let i = 0; i < prints.length; i++) {
    const count = (counts[i] ?? 0) >>> 1;
    if (count === 0) continue;
    const slot = slotOf(memory.prints, prints[i] ?? 0);
    memory.prints[slot] = prints[i] ?? 0;
    memory.counts[slot] = count;
    memory.uses += count;
    memory.held++;
    if (count === 1) memory.singletons++;
  }
}

/**
 * Records the pair; returns how often it was seen before (0: new within the memory). Callers
 * that need the memory's totals from before read `uses` and `singletons` first.
 */
export function recordPair(memory: TransitionMemory, print: number): number {
  let slot = slotOf(memory.prints, print);
  const count = memory.counts[slot] ?? 0;
  if (count > 0) {
    memory.uses++;
    if (count < 0xffff) memory.counts[slot] = count + 1;
    if (count === 1) memory.singletons--;
    return count;
  }
  if (4 * (memory.held + 1) > 3 * memory.prints.length) {
    thin(memory);
    slot = slotOf(memory.prints, print);
  }
  memory.prints[slot] = print;
  memory.counts[slot] = 1;
  memory.uses++;
  memory.held++;
  memory.singletons++;
  return 0;
}

/**
 * Share of the recorded pairs that are of pairs seen at most `count` times: the chance of a
 * transition at least as unusual as one seen `count` times (its rank tail, not its own share,
 * so the commonest pair is no surprise at all). A scan: only asked about pairs new to an agent.
 */
export function rarerShare(memory: TransitionMemory, count: number): number {
  let rarer = 0;
  let total = 0;
  for (const seen of memory.counts) {
    total += seen;
    if (seen > 0 && seen <= count) rarer += seen;
  }
  return total > 0 ? rarer / total : 1;
}
