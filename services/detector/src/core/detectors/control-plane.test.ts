import { describe, expect, it } from "vitest";
import type {
  BaselineLevel,
  BaselineModel,
  CanonicalEvent,
} from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
} from "../agent-state.js";
import { baselineKeysOf, createBaselineIndex } from "../baseline-index.js";
import { baseline, event, T0, vocabulary } from "../fixtures.test-support.js";
import { createSeenSets, type SeenSets } from "../seen.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
} from "../transitions.js";
import { controlPlaneDetector } from "./control-plane.js";
import { novelActionDetector } from "./identity.js";
import {
  DEFAULT_DETECTOR_LIMITS,
  type Detector,
  type DetectorResult,
} from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const HOUR = 3_600_000;

interface World {
  readonly own: SeenSets;
  readonly peers: SeenSets;
  readonly index: ReturnType<typeof createBaselineIndex>;
}

function world(peer?: BaselineModel): World {
  const index = createBaselineIndex();
  if (peer) index.set(baselineKeysOf("acme", "x", "iac").peer, peer);
  return { own: createSeenSets(), peers: createSeenSets(), index };
}

/** One job of `events` on fresh agent state (as after idle eviction), memories kept in `w`. */
function job(
  w: World,
  events: readonly CanonicalEvent[],
  model: BaselineModel | undefined,
  level: BaselineLevel = "agent",
  detector: Detector = controlPlaneDetector,
): (DetectorResult | undefined)[] {
  const first = events[0] as CanonicalEvent;
  const state = createAgentState(layout, first);
  const transitions = createTransitionMemory(PEER_TRANSITION_SLOTS);
  return events.map((e) => {
    recordEvent(layout, state, e);
    return detector({
      event: e,
      state,
      layout,
      baseline: model ? { model, level } : undefined,
      limits: DEFAULT_DETECTOR_LIMITS,
      credentialAgents: 1,
      denyRules: [],
      baselines: w.index,
      revokedAtMs: undefined,
      seen: (scope) => (scope === "peer" ? w.peers : w.own),
      peerTransitions: () => transitions,
    });
  });
}

const call = (agent: string, name: string, at: number, kind = "iac") =>
  event(agent, at, { agent: { kind }, action: { name, verb: "admin" } });

describe("control_plane history", () => {
  it("judges a kind-less key that resolves only to the tenant baseline as having none", () => {
    // The tenant's other identities create users all the time; that excuses no one.
    const tenant = baseline({
      vocabulary: { actions: vocabulary("iam.CreateUser", "s3.GetObject") },
    });
    const [r] = job(
      world(),
      [call("key", "iam.CreateUser", T0, "")],
      tenant,
      "tenant",
    );
    expect(r?.bits).toBe(14);
    expect(r?.summary).toContain("no agent or peer baseline");
  });

  it("gives a kind-less identity no peer excuse", () => {
    const kindless = baseline({
      vocabulary: { actions: vocabulary("iam.CreateUser") },
    });
    const [r] = job(
      world(),
      [call("key", "iam.CreateUser", T0, "")],
      kindless,
      "peer",
    );
    expect(r?.bits).toBe(14);
  });

  it("lets a trusted peer baseline that lists the action excuse it", () => {
    const own = baseline({
      vocabulary: { actions: vocabulary("s3.GetObject", "s3.PutObject") },
    });
    const peer = baseline({
      vocabulary: {
        actions: vocabulary("s3.GetObject", "iam.AttachRolePolicy"),
      },
    });
    expect(
      job(world(peer), [call("x", "iam.AttachRolePolicy", T0)], own)[0],
    ).toBeUndefined();
    // Without the peer's history the agent's complete vocabulary never held it: full bits.
    expect(
      job(world(), [call("x", "iam.AttachRolePolicy", T0)], own)[0]?.bits,
    ).toBe(12);
  });

  it("judges an action outside a truncated vocabulary at its rare bits, not the catalogue's", () => {
    // 16 listed of 20 distinct: 40 of 200 calls fall outside the list.
    const listed = Array.from(
      { length: 16 },
      (_, i) => [`svc.Call${i}`, 10] as const,
    );
    const own = baseline({
      vocabulary: { actions: { distinct: 20, total: 200, top: listed } },
    });
    const [r] = job(world(), [call("x", "iam.AttachRolePolicy", T0)], own);
    expect(r?.bits).toBeCloseTo(Math.log2(202 / 41), 6);
    expect(r?.summary).toContain(
      "not among the agent baseline's top 16 of 20 actions",
    );
  });

  it("raises a first use once, across jobs hours apart (agent state evicted in between)", () => {
    const w = world();
    const own = baseline();
    const first = job(w, [call("x", "s3.PutBucketPolicy", T0)], own);
    expect(first[0]?.detector).toBe("control_plane");
    const later = job(w, [call("x", "s3.PutBucketPolicy", T0 + 5 * HOUR)], own);
    expect(later[0]).toBeUndefined();
  });

  it("lets the peer group's memory excuse a peer's change only beside a trusted peer baseline", () => {
    const own = baseline();
    const learning = world(baseline({ trusted: false }));
    job(learning, [call("a", "iam.AttachRolePolicy", T0)], own);
    const unexcused = { ...learning, own: createSeenSets() };
    expect(
      job(unexcused, [call("b", "iam.AttachRolePolicy", T0 + HOUR)], own)[0]
        ?.bits,
    ).toBe(12);
    const trusted = world(baseline());
    job(trusted, [call("a", "iam.AttachRolePolicy", T0)], own);
    // A fresh agent memory (another agent), the shared peer memory.
    const other = { ...trusted, own: createSeenSets() };
    expect(
      job(other, [call("b", "iam.AttachRolePolicy", T0 + HOUR)], own)[0],
    ).toBeUndefined();
  });

  it("keeps any first-use flag beyond idle eviction (flagOnce in the seen-sets memory)", () => {
    const w = world();
    // 16 listed of 20 distinct: the action may be in the tail, judged at its rare bits.
    const listed = Array.from(
      { length: 16 },
      (_, i) => [`svc.Call${i}`, 10] as const,
    );
    const own = baseline({
      vocabulary: { actions: { distinct: 20, total: 200, top: listed } },
    });
    const use = (at: number) =>
      event("x", at, {
        agent: { kind: "iac" },
        action: { name: "s3.CreateBucket", verb: "write" },
      });
    expect(
      job(w, [use(T0)], own, "agent", novelActionDetector)[0]?.detector,
    ).toBe("novel_action");
    expect(
      job(w, [use(T0 + 5 * HOUR)], own, "agent", novelActionDetector)[0],
    ).toBeUndefined();
  });
});
