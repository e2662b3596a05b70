import { describe, expect, it } from "vitest";
import type { BaselineModel, CanonicalEvent } from "@warden/shared";
import {
  createAgentState,
  createWindowLayout,
  recordEvent,
  type AgentState,
} from "../agent-state.js";
import { baseline, event, T0, vocabulary } from "../fixtures.test-support.js";
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
): (DetectorResult | undefined)[] {
  let state: AgentState | undefined;
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
    expect(last(results)).toMatchObject({
      score: 1,
      observed: 101,
      expected: 100,
    });
    expect(last(results)?.summary).toBe(
      "101 calls in 10 s; the absolute limit is 100 per 10 s",
    );
  });

  it("derives the limit from the baseline's busiest minute", () => {
    // Busiest minute (p99 = max) 20 calls → limit 1 × 20 = 20 per window.
    const results = run(burstDetector, calls(21, 10), baseline());
    expect(results[19]).toBeUndefined();
    expect(last(results)).toMatchObject({
      score: 1,
      observed: 21,
      expected: 20,
    });
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
    // Twice the busiest minute is where it starts to count (scale = ¼ of the busiest).
    expect(
      last(run(rateSpikeDetector, calls(40, 1_000), baseline())),
    ).toBeUndefined();
    const spike = last(run(rateSpikeDetector, calls(70, 800), baseline()));
    expect(spike?.score).toBeGreaterThan(0.5);
    expect(spike?.score).toBeLessThanOrEqual(1);
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
    expect(results[1]).toMatchObject({ detector: "novel_action", score: 0.4 });
    expect(results[2]).toBeUndefined();
  });

  it("halves the score when the vocabulary was truncated", () => {
    const model = baseline({
      vocabulary: { actions: { ...vocabulary("crm.read"), distinct: 40 } },
    });
    const results = run(
      novelActionDetector,
      [event("bot", T0, { action: { name: "crm.other" } })],
      model,
    );
    expect(results[0]?.score).toBe(0.2);
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
    expect(restricted?.score).toBeCloseTo(0.95);
    expect(internal?.score).toBeCloseTo(0.34);
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
    // Ratio 3 (48 MiB) is where it starts; 10 (160 MiB) is certain.
    expect(results[1]).toBeUndefined();
    expect(results[2]?.score).toBeGreaterThan(0);
    expect(last(results)?.score).toBe(1);
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
          bytes_out: 10_000,
        }),
      ],
      baseline(),
    );
    expect(result).toMatchObject({ score: 0.9, observed: 10_000 });
  });
});

describe("privilege_escalation", () => {
  it("flags an admin verb and a privileged scope beyond the baseline", () => {
    const [verb] = run(
      privilegeEscalationDetector,
      [event("bot", T0, { action: { verb: "admin", name: "iam.grant" } })],
      baseline(),
    );
    expect(verb?.score).toBe(0.85);
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
    expect(scope).toMatchObject({ score: 0.8, observed: "org:admin" });
  });
});

describe("credential_misuse", () => {
  it("scores one credential from many new IPs within the hour", () => {
    const events = Array.from({ length: 9 }, (_, i) =>
      event("bot", T0 + i * 100, { source: { ip: `203.0.113.${i}` } }),
    );
    const results = run(credentialMisuseDetector, events, baseline());
    // Four new addresses an hour are allowed (roaming, a new runner); the fifth counts.
    expect(results[3]).toBeUndefined();
    expect(results[4]).toMatchObject({ score: 0.25 });
    expect(last(results)).toMatchObject({ score: 1, observed: 9, expected: 4 });
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
    expect(shared).toMatchObject({ score: 1, observed: 4 });
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
    expect(last(results)?.score).toBe(1);
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
    expect(tooDeep).toMatchObject({ score: 1, observed: 4, expected: 2 });
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
    expect(results[1]).toMatchObject({ score: 0.35, observed: "stranger" });
    expect(results[2]).toBeUndefined();
  });
});
