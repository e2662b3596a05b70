import { describe, expect, it } from "vitest";
import {
  agentBaselineKey,
  peerBaselineKey,
  type BaselineModel,
  type CanonicalEvent,
} from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import { createBaselineIndex } from "../baseline-index.js";
import { baseline, event, stats, T0 } from "../fixtures.test-support.js";
import { createSeenSets } from "../seen.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
} from "../transitions.js";
import {
  dormantIdentityDetector,
  DORMANT_SENSITIVE_IMPACT,
} from "./dormancy.js";
import { DEFAULT_DETECTOR_LIMITS, type DetectorResult } from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const HOUR = 3_600_000;

/** Runs the detector over `events` of agent "bot" (kind support), with these baselines. */
function run(
  events: readonly CanonicalEvent[],
  own: BaselineModel | undefined,
  peer?: BaselineModel,
): (DetectorResult | undefined)[] {
  const baselines = createBaselineIndex();
  if (own) baselines.set(agentBaselineKey("acme", "bot"), own);
  if (peer) baselines.set(peerBaselineKey("acme", "support"), peer);
  let state: AgentState | undefined;
  const seen = createSeenSets();
  const peers = createTransitionMemory(PEER_TRANSITION_SLOTS);
  return events.map((e) => {
    state ??= createAgentState(layout, e);
    recordEvent(layout, state, e);
    return dormantIdentityDetector({
      event: e,
      state,
      layout,
      baseline: own ? { model: own, level: "agent" } : undefined,
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

/** A business-hours agent: idle every night (p99 15 h, longest 16 h), last seen `silentH` ago. */
function nightly(silentH: number): BaselineModel {
  return baseline({
    history: {
      events: 5_000,
      agents: 1,
      firstSeenMs: T0 - 30 * 24 * HOUR,
      lastSeenMs: T0 - silentH * HOUR,
      activeMinutes: 2_000,
      activeHours: 90,
    },
    idleGaps: { stats: { ...stats(14, 1, 15), max: 16 }, count: 9 },
  });
}

const read = (t: number, sensitivity?: "restricted"): CanonicalEvent =>
  event("bot", t, {
    ...(sensitivity
      ? { resource: { id: "hr:1", type: "hr_salary", sensitivity } }
      : {}),
  });

describe("dormant_identity", () => {
  it("reports the call that ends a silence far beyond the agent's idle stretches, then its sensitive calls for an hour", () => {
    const [wake, quiet, secret, late] = run(
      [
        read(T0),
        read(T0 + 60_000),
        read(T0 + 5 * 60_000, "restricted"),
        read(T0 + 2 * HOUR, "restricted"),
      ],
      nightly(72),
    );
    expect(wake?.bits).toBeGreaterThan(8);
    expect(wake?.impact).toBeUndefined();
    expect(wake?.observed).toBe(72);
    expect(wake?.expected).toBe(16);
    expect(wake?.summary).toMatch(
      /after 72 h of silence since .*longest idle stretch is 16 h/,
    );
    expect(quiet).toBeUndefined();
    expect(secret?.bits).toBe(wake?.bits);
    expect(secret?.impact).toBe(DORMANT_SENSITIVE_IMPACT);
    expect(secret?.summary).toMatch(
      /restricted.*5 min after this identity woke from 72 h/,
    );
    expect(late).toBeUndefined();
  });

  it("is stronger the longer the silence", () => {
    const bits = (h: number): number =>
      run([read(T0)], nightly(h))[0]?.bits ?? 0;
    expect(bits(30)).toBeGreaterThan(0);
    expect(bits(30)).toBeLessThan(bits(72));
    expect(bits(72)).toBeLessThan(bits(200));
  });

  it("says nothing of a silence under a day, of a new identity, or without idle statistics", () => {
    expect(run([read(T0)], nightly(20))[0]).toBeUndefined();
    expect(run([read(T0), read(T0 + 60_000)], undefined)).toEqual([
      undefined,
      undefined,
    ]);
    const { idleGaps: _none, ...older } = nightly(72);
    expect(run([read(T0)], older)[0]).toBeUndefined();
  });

  it("leaves a silence longer than half its own history to the peers", () => {
    // 30 days of history cannot say how rare a 20-day silence is; no peers: nothing.
    expect(run([read(T0)], nightly(24 * 20))[0]).toBeUndefined();
  });

  it("takes no weekend for dormancy in less than a week of history", () => {
    // Six days of nights, then 60 h of silence: two weekend days this history never held.
    const young = nightly(60);
    const short = {
      ...young,
      history: { ...young.history, firstSeenMs: T0 - 6 * 24 * HOUR },
    };
    expect(run([read(T0)], short)[0]).toBeUndefined();
    expect(run([read(T0)], nightly(60))[0]?.bits).toBeGreaterThan(1);
  });

  it("measures the silence from the detector's own memory when the baseline is older", () => {
    // The baseline last saw the agent 10 days ago, but it called 2 h ago: no silence.
    const results = run([read(T0 - 2 * HOUR), read(T0)], nightly(240));
    expect(results[1]).toBeUndefined();
  });

  it("is tempered by peers that routinely pause this long", () => {
    const own = run([read(T0)], nightly(72))[0]?.bits ?? 0;
    const pausing = baseline({
      scope: { level: "peer", tenant: "acme", agentKind: "support" },
      history: { ...nightly(1).history, agents: 20 },
      idleGaps: { stats: { ...stats(30, 10, 90), max: 120 }, count: 400 },
    });
    const tempered = run([read(T0)], nightly(72), pausing)[0]?.bits ?? 0;
    expect(tempered).toBeLessThan(own);
  });

  it("judges an identity never idle for an hour by the floor of a day", () => {
    const always = baseline({
      history: { ...nightly(48).history },
      idleGaps: { stats: stats(0, 0, 0), count: 0 },
    });
    const result = run([read(T0)], always)[0];
    expect(result?.bits).toBeGreaterThan(6);
    expect(result?.summary).toContain("never idle for an hour");
  });
});
