import { describe, expect, it } from "vitest";
import type { BaselineModel, CanonicalEvent } from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import { createBaselineIndex } from "../baseline-index.js";
import { matchCatalogue } from "../catalogue.js";
import { baseline, event, T0 } from "../fixtures.test-support.js";
import { createSeenSets } from "../seen.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
} from "../transitions.js";
import { destructiveBurstDetector } from "./activity.js";
import { controlPlaneDetector } from "./control-plane.js";
import {
  counterpartyNoveltyDetector,
  credentialLifetimeDetector,
  hostOf,
} from "./counterparty.js";
import { credentialContextDetector } from "./identity.js";
import {
  DEFAULT_DETECTOR_LIMITS,
  type Detector,
  type DetectorResult,
} from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);

function run(
  detector: Detector,
  events: readonly CanonicalEvent[],
  model: BaselineModel | undefined,
  revokedAtMs?: number,
): (DetectorResult | undefined)[] {
  let state: AgentState | undefined;
  const seen = createSeenSets();
  const peerSeen = createSeenSets();
  const peers = createTransitionMemory(PEER_TRANSITION_SLOTS);
  return events.map((e) => {
    state ??= createAgentState(layout, e);
    recordEvent(layout, state, e);
    return detector({
      event: e,
      state,
      layout,
      baseline: model ? { model, level: "agent" } : undefined,
      limits: DEFAULT_DETECTOR_LIMITS,
      credentialAgents: 1,
      denyRules: [],
      baselines: createBaselineIndex(),
      revokedAtMs,
      seen: (scope?: "agent" | "peer") => (scope === "peer" ? peerSeen : seen),
      peerTransitions: () => peers,
    });
  });
}

describe("day-0 catalogue", () => {
  it("matches control-plane changes by their words, whatever the spelling, and never reads", () => {
    for (const name of [
      "iam.CreateAccessKey",
      "iam.amazonaws.com:CreateAccessKey",
      "iam:create_access_key",
      "iam.access_keys.create",
    ])
      expect(matchCatalogue(name)?.id).toBe("create-access-key");
    expect(matchCatalogue("iam.UpdateAssumeRolePolicy")?.attack).toContain(
      "T1098.003",
    );
    expect(matchCatalogue("rds.ModifyDBSnapshotAttribute")?.id).toBe(
      "share-snapshot",
    );
    expect(matchCatalogue("cloudtrail.StopLogging")?.id).toBe("stop-logging");
    for (const name of [
      "iam.GetAccessKeyLastUsed",
      "iam.ListUsers",
      "s3.GetObject",
      "crm.contacts.export",
      "ec2.CreateKeyPair",
    ])
      expect(matchCatalogue(name)).toBeUndefined();
  });

  it("scores a change without a baseline, names the technique, and stays quiet for an identity that does it", () => {
    const create = event("key", T0, {
      action: { name: "iam.CreateUser", verb: "admin" },
    });
    const [cold] = run(controlPlaneDetector, [create], undefined);
    expect(cold).toMatchObject({ detector: "control_plane", impact: 8 });
    expect(cold?.summary).toContain("T1136.003");
    const routine = baseline({
      vocabulary: {
        actions: {
          distinct: 1,
          total: 500,
          top: [["iam.CreateUser", 500]],
        },
      },
    });
    expect(run(controlPlaneDetector, [create], routine)[0]).toBeUndefined();
  });
});

describe("counterparty_novelty", () => {
  it("weighs a first-seen payee by how stable the agent's payees were", () => {
    const pay = (i: number, party: string) =>
      event("bot", T0 + i, {
        action: {
          name: "erp.payments.create",
          verb: "write",
          counterparty: party,
        },
      });
    const steady = [
      ...Array.from({ length: 100 }, (_, i) => pay(i, `vendor-${i % 3}`)),
      pay(100, "iban:XX00"),
    ];
    const results = run(counterpartyNoveltyDetector, steady, undefined);
    // 100 earlier sends to 3 payees, none of them used only once: log₂(102 / (0 + 1)).
    expect(results[100]?.bits).toBeCloseTo(Math.log2(102), 6);
    expect(results[100]?.summary).toBe(
      "erp.payments.create to iban:XX00, a counterparty this agent never used; 3 distinct (0 used once) in its 100 earlier sends",
    );
    // Each new payee used once lowers the next one's surprise: 2 singletons in 102 sends.
    const drifting = [...steady, pay(101, "iban:XX01"), pay(102, "iban:XX02")];
    expect(
      run(counterpartyNoveltyDetector, drifting, undefined)[102]?.bits,
    ).toBeCloseTo(Math.log2(104 / 3), 6);
    expect(results[50]).toBeUndefined();
    // An agent that pays someone new every time gets nothing for one more.
    const mailer = Array.from({ length: 50 }, (_, i) => pay(i, `c-${i}`));
    expect(
      run(counterpartyNoveltyDetector, mailer, undefined).every((r) => !r),
    ).toBe(true);
    expect(hostOf("https://user@Files.Example.net:8443/x?y")).toBe(
      "files.example.net:8443",
    );
  });
});

describe("counterparty_novelty and a new tool", () => {
  it("leaves a tool's first call to novel_action, and learns its party", () => {
    const call = (i: number, name: string, target: string) =>
      event("bot", T0 + i, {
        action: { name, verb: "write", counterparty: target },
      });
    const routine = baseline({
      vocabulary: {
        actions: { distinct: 1, total: 100, top: [["payments.create", 100]] },
      },
    });
    const events = [
      ...Array.from({ length: 100 }, (_, i) =>
        call(i, "payments.create", `vendor-${i % 3}`),
      ),
      call(100, "vendors.create", "vendors.acme.example"),
      call(101, "payments.create", "iban:XX00"),
    ];
    const results = run(counterpartyNoveltyDetector, events, routine);
    expect(results[100]).toBeUndefined();
    expect(results[101]?.detector).toBe("counterparty_novelty");
  });
});

describe("counterparty_novelty across a peer group", () => {
  it("judges a payee new to the whole group by the group's history, and excuses one the group knows", () => {
    const peerSeen = createSeenSets();
    const own = new Map<string, ReturnType<typeof createSeenSets>>();
    const states = new Map<string, AgentState>();
    const send = (agent: string, i: number, party: string) => {
      const e = event(agent, T0 + i, {
        action: {
          name: "erp.payments.create",
          verb: "write",
          counterparty: party,
        },
      });
      const state = states.get(agent) ?? createAgentState(layout, e);
      states.set(agent, state);
      recordEvent(layout, state, e);
      const seen = own.get(agent) ?? createSeenSets();
      own.set(agent, seen);
      return counterpartyNoveltyDetector({
        event: e,
        state,
        layout,
        baseline: undefined,
        limits: DEFAULT_DETECTOR_LIMITS,
        credentialAgents: 1,
        denyRules: [],
        baselines: createBaselineIndex(),
        revokedAtMs: undefined,
        seen: (scope) => (scope === "peer" ? peerSeen : seen),
        peerTransitions: () => createTransitionMemory(PEER_TRANSITION_SLOTS),
      });
    };
    // An old agent paid three vendors 200 times; a young one of its kind paid them 4 times.
    for (let i = 0; i < 200; i++) send("old", i, `vendor-${i % 3}`);
    for (let i = 0; i < 4; i++) send("young", 200 + i, `vendor-${i % 3}`);
    // A vendor the group knows, new to the young agent: no news.
    send("old", 204, "vendor-3");
    send("old", 205, "vendor-3");
    expect(send("young", 206, "vendor-3")).toBeUndefined();
    // A payee nobody in the group ever paid: the group's 207 earlier sends, no party among
    // them paid only once: log₂(209 / 1).
    const stranger = send("young", 207, "iban:XX99");
    expect(stranger?.bits).toBeCloseTo(Math.log2(209), 6);
    expect(stranger?.summary).toContain(
      "neither this agent nor its peer group",
    );
  });
});

describe("credential_lifetime and credential_context", () => {
  it("reports use after expiry and after Warden revoked the credential, once", () => {
    const expired = event("bot", T0, {
      credential: {
        id: "k",
        type: "oauth_token",
        expires_at: new Date(T0 - 3_600_000).toISOString(),
      },
    });
    expect(run(credentialLifetimeDetector, [expired], undefined)[0]?.bits).toBe(
      20,
    );
    const after = [event("bot", T0 + 120_000), event("bot", T0 + 130_000)];
    const revoked = run(credentialLifetimeDetector, after, undefined, T0);
    expect(revoked[0]?.bits).toBe(40);
    expect(revoked[1]).toBeUndefined();
  });

  it("scores a public network for a credential only ever used from a private one", () => {
    const model = baseline({
      vocabulary: {
        sourceIps: { distinct: 1, total: 1000, top: [["10.0.0.1", 1000]] },
      },
    });
    const results = run(
      credentialContextDetector,
      [
        event("bot", T0, { source: { ip: "10.0.0.1" } }),
        event("bot", T0 + 1000, { source: { ip: "198.51.100.7" } }),
        event("bot", T0 + 2000, { source: { ip: "10.0.9.1" } }),
      ],
      model,
    );
    expect(results[0]).toBeUndefined();
    // A new address class (log₂ 1002), doubled: the usual network was used a second before.
    expect(results[1]?.bits).toBeCloseTo(2 * Math.log2(1002), 6);
    expect(results[1]).toMatchObject({ impact: 6 });
    // Another private subnet is half as surprising as a new network.
    expect(results[2]?.bits).toBeCloseTo(-Math.log2(2 / 1002) / 2, 6);
  });
});

describe("destructive_burst", () => {
  it("scores deletes far beyond the agent's share of them", () => {
    const deletes = Array.from({ length: 30 }, (_, i) =>
      event("bot", T0 + i * 1000, {
        action: { name: "crm.delete", verb: "delete" },
      }),
    );
    const results = run(destructiveBurstDetector, deletes, baseline());
    expect(results[0]).toBeUndefined();
    expect(results[29]?.bits).toBeGreaterThan(30);
  });
});
