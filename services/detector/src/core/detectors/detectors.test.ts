import { describe, expect, it } from "vitest";
import {
  agentBaselineKey,
  type BaselineModel,
  type CanonicalEvent,
} from "@warden/shared";
import { createBaselineIndex } from "../baseline-index.js";
import { createSeenSets } from "../seen.js";
import {
  createTransitionMemory,
  PEER_TRANSITION_SLOTS,
} from "../transitions.js";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import {
  baseline,
  event,
  stats,
  T0,
  vocabulary,
} from "../fixtures.test-support.js";
import {
  burstDetector,
  deniedProbingDetector,
  rateSpikeDetector,
} from "./activity.js";
import { novelResourceDetector, volumeExfilDetector } from "./data.js";
import {
  credentialMisuseDetector,
  delegationAnomalyDetector,
  novelActionDetector,
  privilegeEscalationDetector,
} from "./identity.js";
import {
  DEFAULT_DETECTOR_LIMITS,
  type Detector,
  type DetectorResult,
} from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);

/** Feeds `events` to one agent's state and returns the detector's verdict on each. */
function run(
  detector: Detector,
  events: readonly CanonicalEvent[],
  model: BaselineModel | undefined,
  credentialAgents = 1,
  baselines = createBaselineIndex(),
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
      credentialAgents,
      denyRules: [],
      baselines,
      revokedAtMs: undefined,
      seen: (scope?: "agent" | "peer") => (scope === "peer" ? peerSeen : seen),
      peerTransitions: () => peers,
    });
  });
}

function last<T>(values: readonly T[]): T | undefined {
  return values[values.length - 1];
}

const calls = (
  n: number,
  spacingMs: number,
  overrides = {},
): CanonicalEvent[] =>
  Array.from({ length: n }, (_, i) =>
    event("bot", T0 + i * spacingMs, overrides),
  );

describe("burst", () => {
  it("fires over the absolute limit without a baseline, and not at it", () => {
    const results = run(burstDetector, calls(101, 10), undefined);
    expect(results[99]).toBeUndefined();
    expect(last(results)).toMatchObject({ observed: 101, expected: 100 });
    expect(last(results)?.bits).toBeGreaterThanOrEqual(24);
    expect(last(results)?.summary).toBe(
      "101 calls in 10 s; the absolute limit is 100 per 10 s",
    );
  });

  it("derives the limit from the baseline's busiest minute", () => {
    // Busiest minute (p99 = max) 20 calls → limit 1 × 20 = 20 per window.
    const results = run(burstDetector, calls(21, 10), baseline());
    expect(results[19]).toBeUndefined();
    expect(last(results)).toMatchObject({ observed: 21, expected: 20 });
    // Never below 16 calls, however quiet the agent was.
    const quiet = baseline({
      ratePerMinute: { median: 1, mad: 0, p95: 1, p99: 1, max: 2 },
    });
    const strict = run(burstDetector, calls(17, 10), quiet);
    expect(strict[15]).toBeUndefined();
    expect(last(strict)?.expected).toBe(16);
  });
});

describe("rate_spike", () => {
  it("scores a minute far beyond the busiest ones and stays quiet within them", () => {
    expect(
      last(run(rateSpikeDetector, calls(20, 2_000), baseline())),
    ).toBeUndefined();
    // Beyond the busiest minute the surprise grows with the excess (Pareto tail).
    const twice = last(run(rateSpikeDetector, calls(40, 1_000), baseline()));
    const spike = last(run(rateSpikeDetector, calls(70, 800), baseline()));
    expect(spike?.bits).toBeGreaterThan(twice?.bits ?? 0);
    expect(spike?.bits).toBeGreaterThan(Math.log2(150));
    expect(spike?.summary).toBe(
      "70 calls this minute; the agent baseline's busiest minute had 20 (median 10)",
    );
  });
});

describe("novel_action", () => {
  it("flags a never-seen action once, and not a known one", () => {
    const results = run(
      novelActionDetector,
      [
        event("bot", T0),
        event("bot", T0 + 1, { action: { name: "crm.bulk_delete" } }),
        event("bot", T0 + 2, { action: { name: "crm.bulk_delete" } }),
      ],
      baseline(),
    );
    expect(results[0]).toBeUndefined();
    // Good–Turing over the 20 calls of the vocabulary, none seen once: log₂ 22.
    expect(results[1]).toMatchObject({ detector: "novel_action" });
    expect(results[1]?.bits).toBeCloseTo(Math.log2(22), 6);
    expect(results[2]).toBeUndefined();
  });

  it("counts the mass outside a truncated vocabulary", () => {
    const model = baseline({
      vocabulary: {
        actions: { ...vocabulary("crm.read"), distinct: 40, total: 40 },
      },
    });
    const results = run(
      novelActionDetector,
      [event("bot", T0, { action: { name: "crm.other" } })],
      model,
    );
    // 30 of 40 calls were outside the listed values: a value outside it is not surprising.
    expect(results[0]?.bits).toBeCloseTo(-Math.log2(31 / 42), 6);
    // Nor is it said to be new: it may be one of the 39 actions the list leaves out.
    expect(results[0]?.summary).toBe(
      "rare use of action crm.other: not among the agent baseline's top 1 of 40 actions",
    );
  });

  it("says a first use is one, counted among the baseline's actions", () => {
    const [, first] = run(
      novelActionDetector,
      [
        event("bot", T0),
        event("bot", T0 + 1, { action: { name: "crm.bulk_delete" } }),
      ],
      baseline(),
    );
    expect(first?.summary).toMatch(
      /^first use of action crm\.bulk_delete; the agent baseline has \d+ actions and never this one$/,
    );
  });
});

describe("novel_resource", () => {
  it("weighs a never-touched restricted level above a new internal type", () => {
    const [restricted] = run(
      novelResourceDetector,
      [
        event("bot", T0, {
          resource: { type: "payroll", sensitivity: "restricted" },
        }),
      ],
      baseline(),
    );
    const [internal] = run(
      novelResourceDetector,
      [
        event("bot", T0, {
          resource: { type: "wiki", sensitivity: "internal" },
        }),
      ],
      baseline(),
    );
    expect(restricted?.bits).toBeCloseTo(Math.log2(12), 6);
    expect(internal?.bits).toBeCloseTo(Math.log2(12), 6);
    expect(restricted?.summary).toContain("never touched restricted data");
  });
});

describe("volume_exfil", () => {
  it("scores hourly bytes far over the baseline's busiest hour (16 MiB at least)", () => {
    const results = run(
      volumeExfilDetector,
      calls(10, 1_000, { bytes_out: 20_000_000 }),
      baseline(),
    );
    // The hour's bytes are judged against at least 16 MiB: 20 MiB is already past the tail.
    expect(results[0]?.bits).toBeGreaterThan(0);
    expect(last(results)?.bits).toBeGreaterThan(results[1]?.bits ?? 0);
    expect(last(results)?.summary).toBe(
      "190.7 MiB out in the last hour; the agent baseline's busiest hour is 16 MiB per hour",
    );
  });

  it("flags an export of restricted data by an agent that never read any", () => {
    const [result] = run(
      volumeExfilDetector,
      [
        event("bot", T0, {
          action: { verb: "export" },
          resource: { sensitivity: "restricted" },
          bytes_out: 10_000_000,
        }),
      ],
      baseline(),
    );
    expect(result).toMatchObject({ observed: 10_000_000 });
    expect(result?.bits).toBeGreaterThan(20);
    expect(result?.summary).toContain("never read restricted data");
  });
});

describe("volume_exfil per call", () => {
  const big = (verb: "read" | "export", bytes: number) =>
    event("bot", T0, {
      action: { verb, name: `crm.${verb}` },
      resource: { sensitivity: "restricted" },
      bytes_out: bytes,
    });

  it("judges a bulk read of restricted data like an export: never touched restricted, every byte is excess", () => {
    const [result] = run(
      volumeExfilDetector,
      [big("read", 12_000_000)],
      baseline(),
    );
    expect(result?.bits).toBeGreaterThan(20);
    expect(result?.summary).toContain("never read restricted data");
  });

  it("compares an export with the agent's own exports, and a read with its reads at that level", () => {
    const reports = baseline({
      // Its busiest hours hold a report: the hourly test has nothing to say here.
      bytesPerHour: {
        ...stats(20_000_000, 5_000_000, 80_000_000),
        max: 90_000_000,
      },
      vocabulary: {
        verbs: {
          distinct: 2,
          total: 5_000,
          top: [
            ["read", 4_993],
            ["export", 7],
          ],
        },
      },
      bytesPerCallByVerb: {
        export: { ...stats(4_000_000, 1_000_000, 9_000_000), max: 72_000_000 },
      },
      bytesPerCallBySensitivity: {
        restricted: { ...stats(300_000, 50_000, 900_000), max: 2_000_000 },
      },
    });
    // A quarter-end report near the largest in its history: well under any alert cut-off.
    const report = run(
      volumeExfilDetector,
      [big("export", 70_000_000)],
      reports,
    )[0];
    expect(report?.bits ?? 0).toBeLessThan(8);
    // A read like its reads says nothing; a read 30 times its largest does.
    expect(
      run(volumeExfilDetector, [big("read", 800_000)], reports)[0],
    ).toBeUndefined();
    expect(
      run(volumeExfilDetector, [big("read", 60_000_000)], reports)[0]?.bits,
    ).toBeGreaterThan(15);
  });
});

describe("privilege_escalation", () => {
  it("flags an admin verb and a privileged scope beyond the baseline", () => {
    const [verb] = run(
      privilegeEscalationDetector,
      [event("bot", T0, { action: { verb: "admin", name: "iam.grant" } })],
      baseline(),
    );
    expect(verb?.bits).toBeCloseTo(Math.log2(22), 6);
    const [scope] = run(
      privilegeEscalationDetector,
      [
        event("bot", T0, {
          credential: {
            id: "k",
            type: "oauth_token",
            scopes: ["crm:read", "org:admin"],
          },
        }),
      ],
      baseline(),
    );
    expect(scope).toMatchObject({ observed: "org:admin" });
    expect(scope?.bits).toBeCloseTo(Math.log2(12) + 4, 6);
  });
});

describe("credential_misuse", () => {
  it("scores one credential from many new IPs within the hour", () => {
    const events = Array.from({ length: 9 }, (_, i) =>
      event("bot", T0 + i * 100, { source: { ip: `203.0.113.${i}` } }),
    );
    const results = run(credentialMisuseDetector, events, baseline());
    // The history's 10 calls came from one address: a new one has chance 1/12 per call,
    // 9 calls this hour expect 0.75 new addresses.
    expect(results[0]).toBeUndefined();
    expect(last(results)).toMatchObject({ observed: 9, expected: 0.8 });
    expect(last(results)?.bits).toBeGreaterThan(15);
    expect(last(results)?.bits).toBeGreaterThan(results[4]?.bits ?? 0);
  });

  it("does not count the baseline's own IP, and scores a credential shared by agents", () => {
    const own = run(
      credentialMisuseDetector,
      calls(5, 100, { source: { ip: "10.0.0.1" } }),
      baseline(),
    );
    expect(own.every((r) => r === undefined)).toBe(true);
    const [shared] = run(
      credentialMisuseDetector,
      [event("bot", T0)],
      baseline(),
      4,
    );
    expect(shared).toMatchObject({ bits: 36, observed: 4 });
  });
});

describe("denied_probing", () => {
  it("needs many denials across many resources", () => {
    const sameResource = run(
      deniedProbingDetector,
      calls(20, 100, { outcome: "denied", resource: { id: "r1" } }),
      baseline(),
    );
    expect(sameResource.every((r) => r === undefined)).toBe(true);
    const probing = Array.from({ length: 20 }, (_, i) =>
      event("bot", T0 + i * 100, {
        outcome: "denied",
        resource: { id: `r${i}` },
      }),
    );
    const results = run(deniedProbingDetector, probing, baseline());
    expect(last(results)?.bits).toBeGreaterThan(20);
    expect(last(results)?.summary).toMatch(
      /^20 denied calls on 20 resources in 10 min/,
    );
  });
});

describe("delegation_anomaly", () => {
  it("scores a chain deeper than the baseline's and a new parent once", () => {
    const deep = ["root", "planner", "worker", "bot"];
    const [tooDeep] = run(
      delegationAnomalyDetector,
      [event("bot", T0, { delegation: deep, chain_depth: 4 })],
      baseline(),
    );
    expect(tooDeep).toMatchObject({ observed: 4, expected: 2 });
    expect(tooDeep?.bits).toBeCloseTo(Math.log2(50_002) + 4, 6);
    const results = run(
      delegationAnomalyDetector,
      [
        event("bot", T0, { delegation: ["planner", "bot"], chain_depth: 2 }),
        event("bot", T0 + 1, {
          delegation: ["stranger", "bot"],
          chain_depth: 2,
        }),
        event("bot", T0 + 2, {
          delegation: ["stranger", "bot"],
          chain_depth: 2,
        }),
      ],
      baseline(),
    );
    expect(results[0]).toBeUndefined();
    expect(results[1]).toMatchObject({ observed: "stranger" });
    expect(results[1]?.bits).toBeCloseTo(Math.log2(12), 6);
    expect(results[2]).toBeUndefined();
  });
});

describe("delegation_anomaly: reach beyond the chain's root", () => {
  // The root's history: 129 calls on internal and confidential data, too few to be trusted.
  const rootModel = baseline({
    trusted: false,
    history: {
      events: 129,
      agents: 1,
      firstSeenMs: T0 - 2 * 86_400_000,
      lastSeenMs: T0 - 3_600_000,
      activeMinutes: 100,
      activeHours: 20,
    },
    vocabulary: {
      sensitivities: {
        distinct: 2,
        total: 129,
        top: [
          ["internal", 94],
          ["confidential", 35],
        ],
      },
    },
  });
  const index = () => {
    const baselines = createBaselineIndex();
    baselines.set(agentBaselineKey("acme", "planner"), rootModel);
    return baselines;
  };
  const delegated = (
    t: number,
    type: string,
    sensitivity: "restricted" | "confidential",
  ) =>
    event("bot", t, {
      delegation: ["planner", "bot"],
      chain_depth: 2,
      chain_root: "planner",
      resource: { type, sensitivity, id: `${type}:1` },
    });
  // Good–Turing: no restricted call in 129, none of its values seen once.
  const perKind = Math.log2(131);

  it("judges against the root's own history even while it is not trusted, and adds up kinds", () => {
    // The sub-agent's own baseline (here: one that already saw restricted data) does not matter.
    const own = baseline({
      vocabulary: { sensitivities: vocabulary("internal", "restricted") },
    });
    const results = run(
      delegationAnomalyDetector,
      [
        delegated(T0, "hr_record", "restricted"),
        delegated(T0 + 1_000, "hr_record", "restricted"),
        delegated(T0 + 2_000, "payroll_run", "restricted"),
        delegated(T0 + 3_000, "vault_secret", "restricted"),
      ],
      own,
      1,
      index(),
    );
    expect(results[0]?.bits).toBeCloseTo(perKind, 6);
    expect(results[0]?.summary).toMatch(
      /reaches restricted data \(hr_record\) .* its root planner never touched restricted data in 129 calls/,
    );
    // The same kind again is the same fact.
    expect(results[1]).toBeUndefined();
    expect(results[2]?.bits).toBeCloseTo(2 * perKind, 6);
    expect(results[3]?.bits).toBeCloseTo(3 * perKind, 6);
    expect(results[3]?.observed).toBe("restricted × 3");
  });

  it("is silent on data the root touches, on undelegated calls and without the root's history", () => {
    const confidential = run(
      delegationAnomalyDetector,
      [delegated(T0, "invoice", "confidential")],
      baseline(),
      1,
      index(),
    );
    expect(confidential[0]).toBeUndefined();
    const unknownRoot = run(
      delegationAnomalyDetector,
      [delegated(T0, "hr_record", "restricted")],
      baseline(),
    );
    expect(unknownRoot[0]).toBeUndefined();
    const direct = run(
      delegationAnomalyDetector,
      [
        event("planner", T0, {
          resource: { type: "hr_record", sensitivity: "restricted" },
        }),
      ],
      baseline(),
      1,
      index(),
    );
    expect(direct[0]).toBeUndefined();
  });

  it("counts kinds reached within the hour only", () => {
    const results = run(
      delegationAnomalyDetector,
      [
        delegated(T0, "hr_record", "restricted"),
        delegated(T0 + 2 * 3_600_000, "payroll_run", "restricted"),
      ],
      baseline(),
      1,
      index(),
    );
    expect(results[1]?.bits).toBeCloseTo(perKind, 6);
  });
});
