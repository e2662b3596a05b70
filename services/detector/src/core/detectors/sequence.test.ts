import { describe, expect, it } from "vitest";
import type { CanonicalEvent } from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import { createBaselineIndex } from "../baseline-index.js";
import { baseline, event, T0, vocabulary } from "../fixtures.test-support.js";
import { createSeenSets } from "../seen.js";
import {
  createTransitionMemory,
  pairPrint,
  PEER_TRANSITION_SLOTS,
  recordPair,
  type TransitionMemory,
} from "../transitions.js";
import { transitionNoveltyDetector } from "./sequence.js";
import { DEFAULT_DETECTOR_LIMITS, type DetectorResult } from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const model = baseline({
  vocabulary: { actions: vocabulary("crm.read", "crm.export", "mail.send") },
});

function scorer(peers = createTransitionMemory(PEER_TRANSITION_SLOTS)) {
  let state: AgentState | undefined;
  const seen = createSeenSets();
  const score = (e: CanonicalEvent): DetectorResult | undefined => {
    state ??= createAgentState(layout, e);
    recordEvent(layout, state, e);
    return transitionNoveltyDetector({
      event: e,
      state,
      layout,
      baseline: { model, level: "agent" },
      limits: DEFAULT_DETECTOR_LIMITS,
      credentialAgents: 1,
      denyRules: [],
      baselines: createBaselineIndex(),
      revokedAtMs: undefined,
      seen: () => seen,
      peerTransitions: () => peers,
    });
  };
  return { score, state: () => state as AgentState, peers };
}

const call = (name: string, t: number): CanonicalEvent =>
  event("bot", t, { action: { name } });

/** `rounds` of read → export → read → mail, a minute apart; returns the next free time. */
function habit(score: (e: CanonicalEvent) => unknown, rounds: number): number {
  let t = T0;
  for (let i = 0; i < rounds; i++)
    for (const name of ["crm.read", "crm.export", "crm.read", "mail.send"]) {
      score(call(name, t));
      t += 60_000;
    }
  return t;
}

describe("transition memory", () => {
  it("counts pairs, knows its singletons, and thins out what was seen once when full", () => {
    const memory = createTransitionMemory(16);
    expect(recordPair(memory, pairPrint("a", "b"))).toBe(0);
    expect(recordPair(memory, pairPrint("a", "b"))).toBe(1);
    for (let i = 0; i < 62; i++) recordPair(memory, pairPrint("a", "b"));
    expect(recordPair(memory, pairPrint("b", "a"))).toBe(0);
    expect(memory).toMatchObject({ uses: 65, held: 2, singletons: 1 });
    for (let i = 0; i < 40; i++) recordPair(memory, pairPrint("x", `${i}`));
    // Never more than three-quarters full; the habitual pair survived the thinning.
    expect(memory.held).toBeLessThanOrEqual(12);
    expect(recordPair(memory, pairPrint("a", "b"))).toBeGreaterThan(0);
  });

  it("keeps its sample size equal to the counts it holds after thinning", () => {
    const memory = createTransitionMemory(16);
    for (let i = 0; i < 100; i++) recordPair(memory, pairPrint("a", "b"));
    for (let i = 0; i < 12; i++) recordPair(memory, pairPrint("x", `${i}`));
    const sum = (): number => memory.counts.reduce((a, b) => a + b, 0);
    // 100 + 11 singles fill 12 of 16 slots; the 12th single thins: a→b halves, singles go.
    expect(memory.uses).toBe(sum());
    expect(memory).toMatchObject({ uses: 51, held: 2, singletons: 1 });
  });
});

describe("transition_novelty", () => {
  it("reports known tools in an order the agent never used, once, with Good–Turing bits", () => {
    const { score } = scorer();
    const t = habit(score, 20);
    const first = score(call("crm.export", t)); // mail.send → crm.export: new
    expect(first?.detector).toBe("transition_novelty");
    // 79 earlier transitions, no pair seen only once: log₂(81 / 1).
    expect(first?.bits).toBeCloseTo(Math.log2(81), 5);
    expect(first?.observed).toBe("mail.send → crm.export");
    expect(first?.summary).toMatch(
      /mail\.send then crm\.export: a sequence this agent never made in its 79 earlier transitions/,
    );
    expect(score(call("mail.send", t + 60_000))?.observed).toBe(
      "crm.export → mail.send",
    );
    // The same pairs again: known now.
    expect(score(call("crm.export", t + 120_000))).toBeUndefined();
    expect(score(call("mail.send", t + 180_000))).toBeUndefined();
  });

  it("says nothing before the agent has a history, across a pause, or for a new action", () => {
    const { score } = scorer();
    expect(score(call("mail.send", T0))).toBeUndefined();
    expect(score(call("crm.export", T0 + 60_000))).toBeUndefined();
    const t = habit(score, 20);
    expect(score(call("crm.export", t + 11 * 60_000))).toBeUndefined();
    const u = habit(score, 1) + t;
    expect(score(call("ssh.exec", u))).toBeUndefined();
  });

  it("leaves a tool novel_action reported to it, also once the baseline lists that tool", () => {
    const { score, state } = scorer();
    const t = habit(score, 20);
    state().flagged = new Map([["action:action crm.export", t]]);
    expect(score(call("crm.export", t))).toBeUndefined();
  });

  it("is tempered by a peer group that makes the pair, and leaves a new agent alone", () => {
    const peers: TransitionMemory = createTransitionMemory(
      PEER_TRANSITION_SLOTS,
    );
    const make = (from: string, to: string, times: number): void => {
      for (let i = 0; i < times; i++) recordPair(peers, pairPrint(from, to));
    };
    make("crm.read", "crm.export", 300);
    make("mail.send", "crm.export", 100);
    // The commonest pair among peers is no surprise, even for an agent that never made it.
    const common = scorer(peers);
    common.score(call("crm.read", T0));
    expect(common.score(call("crm.export", T0 + 60_000))).toBeUndefined();
    const { score } = scorer(peers);
    const t = habit(score, 20);
    const tempered = score(call("crm.export", t));
    // Of the peers' 481 transitions (the two agents' own 81 included), 160 are of pairs at most as
    // common as this one (101 times): 1.6 bits, below the agent's own 6.3.
    expect(tempered?.bits).toBeCloseTo(Math.log2(481 / 160), 5);
    expect(tempered?.summary).toContain("its peer group made it 100 times");
    // A new agent is not judged by its peers alone, whatever they never did.
    const fresh = scorer(createTransitionMemory(PEER_TRANSITION_SLOTS));
    for (let i = 0; i < 300; i++)
      recordPair(fresh.peers, pairPrint("crm.read", "crm.read"));
    fresh.score(call("mail.send", T0));
    expect(fresh.score(call("crm.read", T0 + 60_000))).toBeUndefined();
  });
});
