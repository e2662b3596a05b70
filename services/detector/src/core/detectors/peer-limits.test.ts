import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BaselineLevel, BaselineModel } from "@warden/shared";
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
import { baseline, event, stats, T0 } from "../fixtures.test-support.js";
import { burstDetector, rateSpikeDetector } from "./activity.js";
import {
  historyDays,
  limitFor,
  OWN_LIMITS_DAYS,
  peerWeight,
  youngAgentBits,
} from "./peer-limits.js";
import {
  DEFAULT_DETECTOR_LIMITS,
  type Detector,
  type DetectorInput,
  type DetectorResult,
} from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const DAY_MS = 86_400_000;
const PEER_KEY = "peer.acme.ci";

/** A peer group's model: `agents` CI keys whose busiest minute had `busiest` calls. */
function peerModel(
  busiest: number,
  trusted = true,
  agents = 12,
): BaselineModel {
  return baseline({
    scope: { level: "peer", tenant: "acme", agentKind: "ci" },
    trusted,
    ratePerMinute: {
      median: 3,
      mad: 2,
      p95: busiest / 2,
      p99: busiest,
      max: busiest,
    },
    history: {
      events: 80_000,
      agents,
      firstSeenMs: T0 - 5 * DAY_MS,
      lastSeenMs: T0 - 60_000,
      activeMinutes: 20_000,
      activeHours: 1_500,
    },
  });
}

/** An agent's own model with `days` of history and a busiest minute of `busiest` calls. */
function ownModel(busiest: number, days: number): BaselineModel {
  return baseline({
    ratePerMinute: stats(2, 1, busiest),
    history: {
      events: 500,
      agents: 1,
      firstSeenMs: T0 - days * DAY_MS,
      lastSeenMs: T0 - 60_000,
      activeMinutes: 300,
      activeHours: Math.max(1, Math.round(days * 12)),
    },
  });
}

interface Setup {
  readonly resolved?: { model: BaselineModel; level: BaselineLevel };
  readonly peer?: BaselineModel;
}

function inputFor(state: AgentState, setup: Setup): DetectorInput {
  const baselines = createBaselineIndex();
  if (setup.peer) baselines.set(PEER_KEY, setup.peer);
  const seen = createSeenSets();
  const peers = createTransitionMemory(PEER_TRANSITION_SLOTS);
  return {
    event: event("ci-new", T0),
    state: {
      ...state,
      baselineKeys: { ...state.baselineKeys, peer: PEER_KEY },
    },
    layout,
    baseline: setup.resolved,
    limits: DEFAULT_DETECTOR_LIMITS,
    credentialAgents: 1,
    denyRules: [],
    baselines,
    revokedAtMs: undefined,
    seen: () => seen,
    peerTransitions: () => peers,
  };
}

/** `n` calls of one new key within `spanMs`, the detector's verdict on the last. */
function lastVerdict(
  detector: Detector,
  n: number,
  spanMs: number,
  setup: Setup,
): DetectorResult | undefined {
  let state: AgentState | undefined;
  let result: DetectorResult | undefined;
  for (let i = 0; i < n; i++) {
    const e = event("ci-new", T0 + Math.floor((i * spanMs) / n), {
      agent: { kind: "ci" },
    });
    state ??= createAgentState(layout, e);
    recordEvent(layout, state, e);
    result = detector({ ...inputFor(state, setup), event: e });
  }
  return result;
}

describe("no baseline is not no judgement (burst)", () => {
  it("lets a new key burst on its first deploy as far as its peers do", () => {
    const peer = peerModel(150);
    expect(
      lastVerdict(burstDetector, 101, 9_000, {
        resolved: { model: peer, level: "peer" },
        peer,
      }),
    ).toBeUndefined();
  });

  it("revokes a new key far beyond its peer group, saying so", () => {
    const peer = peerModel(20);
    const result = lastVerdict(burstDetector, 60, 9_000, {
      resolved: { model: peer, level: "peer" },
      peer,
    });
    expect(result?.detector).toBe("burst");
    expect(result?.summary).toBe(
      "60 calls in 10 s; the peer baseline allows 20 per 10 s",
    );
  });

  it("keeps the absolute limit while the peer group is still learning (its busiest minute may be an attack's)", () => {
    const learning = peerModel(150, false);
    expect(
      lastVerdict(burstDetector, 101, 9_000, { peer: learning })?.summary,
    ).toBe("101 calls in 10 s; the absolute limit is 100 per 10 s");
    expect(
      lastVerdict(burstDetector, 100, 9_000, { peer: learning }),
    ).toBeUndefined();
  });

  it("applies the absolute limit when there is no peer group, or only the agent itself", () => {
    expect(lastVerdict(burstDetector, 101, 9_000, {})?.expected).toBe(100);
    expect(
      lastVerdict(burstDetector, 101, 9_000, {
        peer: peerModel(150, false, 1),
      })?.expected,
    ).toBe(100);
  });

  it("raises a young agent's own limit toward its peers', fading out by OWN_LIMITS_DAYS", () => {
    const peer = peerModel(120);
    const young = ownModel(10, 0.5);
    const result = lastVerdict(burstDetector, 101, 9_000, {
      resolved: { model: young, level: "agent" },
      peer,
    });
    // 10 + (1 − 0.5 / 2) × (120 − 10) = 92.5 → 93.
    expect(result?.expected).toBe(93);
    expect(result?.summary).toContain("raised toward its peer group's");
    const grown = ownModel(10, OWN_LIMITS_DAYS);
    expect(
      lastVerdict(burstDetector, 17, 9_000, {
        resolved: { model: grown, level: "agent" },
        peer,
      })?.expected,
    ).toBe(16);
  });
});

describe("young agents' rate spikes", () => {
  it("are tempered by a peer group that has such minutes", () => {
    const peer = peerModel(120);
    const setup = (days: number): Setup => ({
      resolved: { model: ownModel(10, days), level: "agent" },
      peer,
    });
    const young = lastVerdict(rateSpikeDetector, 60, 50_000, setup(0.25));
    const older = lastVerdict(rateSpikeDetector, 60, 50_000, setup(1.5));
    const grown = lastVerdict(rateSpikeDetector, 60, 50_000, setup(3));
    expect(young?.bits ?? 0).toBeLessThan(older?.bits ?? 0);
    expect(older?.bits ?? 0).toBeLessThan(grown?.bits ?? 0);
  });
});

describe("peer-limit properties", () => {
  const days = fc.double({ min: 0, max: 30, noNaN: true });
  const amount = fc.double({ min: 0, max: 1e6, noNaN: true });

  it("peerWeight is in [0, 1], 1 with no history, 0 from OWN_LIMITS_DAYS, non-increasing", () => {
    expect(peerWeight(0)).toBe(1);
    expect(peerWeight(OWN_LIMITS_DAYS)).toBe(0);
    fc.assert(
      fc.property(days, days, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(peerWeight(lo)).toBeGreaterThanOrEqual(peerWeight(hi));
        expect(peerWeight(lo)).toBeGreaterThanOrEqual(0);
        expect(peerWeight(lo)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("a young agent's limit lies between its own and the larger of its own and its peers'", () => {
    fc.assert(
      fc.property(amount, amount, days, (own, theirs, age) => {
        const model = ownModel(own, age);
        const state = createAgentState(layout, event("ci-new", T0));
        const input = inputFor(state, {
          resolved: { model, level: "agent" },
          peer: peerModel(theirs),
        });
        const measure = (m: BaselineModel): number => m.ratePerMinute.max;
        const { value } = limitFor(input, measure, 100);
        expect(historyDays(model)).toBeGreaterThanOrEqual(0);
        expect(value).toBeGreaterThanOrEqual(model.ratePerMinute.max - 1e-9);
        expect(value).toBeLessThanOrEqual(
          Math.max(model.ratePerMinute.max, theirs) + 1e-9,
        );
      }),
    );
  });

  it("tempered bits are never above the agent's own, nor below the lesser of the two", () => {
    fc.assert(
      fc.property(amount, amount, days, (ownBits, peerBits, age) => {
        const model = ownModel(10, age);
        const peer = peerModel(100);
        const state = createAgentState(layout, event("ci-new", T0));
        const input = inputFor(state, {
          resolved: { model, level: "agent" },
          peer,
        });
        const bits = youngAgentBits(input, 0, (m) =>
          m === peer ? peerBits : ownBits,
        );
        expect(bits).toBeLessThanOrEqual(ownBits + 1e-9);
        expect(bits).toBeGreaterThanOrEqual(Math.min(ownBits, peerBits) - 1e-9);
      }),
    );
  });
});
