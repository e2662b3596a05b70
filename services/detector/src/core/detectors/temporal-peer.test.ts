import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BaselineModel, CanonicalEvent } from "@warden/shared";
import { createBaselineIndex } from "../baseline-index.js";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import { createSeenSets } from "../seen.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
} from "../transitions.js";
import { baseline, event } from "../fixtures.test-support.js";
import { expectedBlocks, offHoursDetector } from "./temporal.js";
import { DEFAULT_DETECTOR_LIMITS, type DetectorResult } from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Wednesday 2026-11-25 00:00 UTC (hour of week 48).
const WEDNESDAY = Date.parse("2026-11-25T00:00:00.000Z");

/** 30 calls an hour 08:00–18:00 every day, and `night` calls an hour otherwise. */
function rhythm(night: number): number[] {
  return Array.from({ length: 168 }, (_, slot) =>
    slot % 24 >= 8 && slot % 24 < 18 ? 30 : night,
  );
}

/** A nightly job: `calls` in one hour of the night (`hour`), nothing else. */
function nightly(hour: number, calls: number): number[] {
  return Array.from({ length: 168 }, (_, slot) =>
    slot % 24 === hour ? calls : 0,
  );
}

function agentModel(profile: number[], days: number): BaselineModel {
  return baseline({
    hourOfWeek: profile,
    activeHoursOfDay: 0,
    history: {
      events: 600,
      agents: 1,
      firstSeenMs: WEDNESDAY - days * DAY,
      lastSeenMs: WEDNESDAY - HOUR,
      activeMinutes: 400,
      activeHours: 40,
    },
  });
}

function peerModel(profile: number[]): BaselineModel {
  return baseline({
    scope: { level: "peer", tenant: "acme", agentKind: "support" },
    hourOfWeek: profile,
    activeHoursOfDay: 0,
    history: {
      events: 40_000,
      agents: 15,
      firstSeenMs: WEDNESDAY - 5 * DAY,
      lastSeenMs: WEDNESDAY - HOUR,
      activeMinutes: 30_000,
      activeHours: 2_000,
    },
  });
}

/** The off-hours verdicts on `events` of an agent judged on `own`, its peer group's `peer`. */
function verdicts(
  events: readonly CanonicalEvent[],
  own: BaselineModel,
  peer: BaselineModel | undefined,
): (DetectorResult | undefined)[] {
  let state: AgentState | undefined;
  const baselines = createBaselineIndex();
  const seen = createSeenSets();
  const peers = createTransitionMemory(PEER_TRANSITION_SLOTS);
  return events.map((e) => {
    state ??= createAgentState(layout, e);
    if (peer) baselines.set(state.baselineKeys.peer, peer);
    recordEvent(layout, state, e);
    return offHoursDetector({
      event: e,
      state,
      layout,
      baseline: { model: own, level: "agent" },
      limits: DEFAULT_DETECTOR_LIMITS,
      credentialAgents: 1,
      denyRules: [],
      baselines,
      revokedAtMs: undefined,
      seen: () => seen,
      peerTransitions: () => peers,
    });
  });
}

/** Calls from 01:00 for `minutes` minutes, one every `spacingS` seconds. */
function nightCalls(minutes: number, spacingS: number): CanonicalEvent[] {
  const start = WEDNESDAY + HOUR;
  return Array.from({ length: Math.floor((minutes * 60) / spacingS) }, (_, i) =>
    event("support-bot", start + i * spacingS * 1000),
  );
}

const strongest = (results: readonly (DetectorResult | undefined)[]): number =>
  Math.max(0, ...results.map((r) => r?.bits ?? 0));

describe("off_hours for young agents: the peer group's rhythm as prior", () => {
  it("catches a business-hours bot busy at 01:40 after 1.7 days, which the Laplace prior let pass", () => {
    const own = agentModel(rhythm(0), 1.7);
    const calls = nightCalls(60, 40);
    const alone = strongest(verdicts(calls, own, undefined));
    const withPeers = verdicts(calls, own, peerModel(rhythm(0.3)));
    // 12 active blocks: the Laplace chance 1/(1.7 + 2) expects ~3, its peers well under one.
    expect(alone).toBe(0);
    expect(strongest(withPeers)).toBeGreaterThan(20);
    expect(withPeers.at(-1)?.summary).toContain(
      "its peer group's rhythm as prior",
    );
  });

  it("stays quiet for a young nightly job whose peers run at night too", () => {
    const own = agentModel(nightly(1, 300), 1.5);
    const peer = peerModel(nightly(2, 250));
    expect(strongest(verdicts(nightCalls(30, 6), own, peer))).toBe(0);
  });

  it("stays quiet for a young agent whose own nights are busy, whatever its peers do", () => {
    const own = agentModel(rhythm(20), 3);
    expect(
      strongest(verdicts(nightCalls(60, 40), own, peerModel(rhythm(0)))),
    ).toBeLessThan(4);
  });

  it("blends own and peer expectations by days of history", () => {
    const slot = 48 + 1;
    const profile = fc.array(fc.double({ min: 0, max: 40, noNaN: true }), {
      minLength: 168,
      maxLength: 168,
    });
    fc.assert(
      fc.property(
        profile,
        profile,
        fc.double({ min: 1, max: 6, noNaN: true }),
        (mine, theirs, days) => {
          const own = agentModel(mine, days);
          const peer = peerModel(theirs);
          const blended = expectedBlocks(own, slot, days, peer);
          const alone = expectedBlocks(agentModel(mine, days), slot, days);
          // The peer model's span: 5 days to an hour before now.
          const span = 5 - 1 / 24;
          const onlyPeer = expectedBlocks(agentModel(theirs, 5), slot, span);
          // Between the two expectations (the agent's without its Laplace floor).
          expect(blended).toBeLessThanOrEqual(Math.max(alone, onlyPeer) + 1e-9);
          expect(blended).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
