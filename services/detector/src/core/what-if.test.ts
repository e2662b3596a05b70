import type { CanonicalEvent } from "@warden/shared";
import { describe, expect, it } from "vitest";
import { DEFAULT_DETECTOR_LIMITS } from "./detectors/types.js";
import { event, T0 } from "./fixtures.test-support.js";
import { DEFAULT_POLICY, parsePolicy } from "./policy.js";
import { createWhatIf, type WhatIfOptions } from "./what-if.js";

const ENGINE = {
  limits: { ...DEFAULT_DETECTOR_LIMITS, burstMaxCalls: 5 },
  maxAgents: 1_000,
  idleEvictMs: 3_600_000,
};

const burst = (agent: string, n: number) =>
  Array.from({ length: n }, (_, i) => event(agent, T0 + i * 100));

function whatIf(
  overrides: Partial<WhatIfOptions> & { events?: CanonicalEvent[] },
) {
  const { events = [], ...rest } = overrides;
  const run = createWhatIf({
    current: DEFAULT_POLICY,
    proposed: DEFAULT_POLICY,
    engine: ENGINE,
    maxListed: 100,
    matchWindowMs: 60_000,
    ...rest,
  });
  for (const one of events) run.observe(one);
  return run.result();
}

const denyExports = (action?: "revoke") =>
  parsePolicy({
    version: 2,
    denyRules: [{ id: "no-exports", actions: ["crm.export"] }],
    ...(action ? { detectors: { deny_rule: { action } } } : {}),
  });

describe("what-if", () => {
  it("finds nothing when the policies are the same", () => {
    const result = whatIf({ events: burst("bot", 30) });
    expect(result.decisions).toEqual({ current: 1, proposed: 1 });
    expect(result.counts).toEqual({ appeared: 0, disappeared: 0, changed: 0 });
  });

  it("lists a decision that only the proposed policy makes as appeared", () => {
    const events = [
      event("quiet", T0),
      event("quiet", T0 + 60_000, { action: { name: "crm.export" } }),
    ];
    const result = whatIf({ events, proposed: denyExports() });
    expect(result.appeared).toHaveLength(1);
    expect(result.appeared[0]).toMatchObject({
      agent_id: "quiet",
      action: "step_up",
      trigger_event_id: events[1]?.event_id,
    });
    expect(result.appeared[0]?.reasons[0]?.detector).toBe("deny_rule");
    expect(result.disappeared).toEqual([]);
  });

  it("lists a suppressed decision as disappeared and a stronger action as changed", () => {
    const suppressed = whatIf({
      events: burst("bot", 30),
      proposed: parsePolicy({
        version: 2,
        suppressions: [{ id: "bot-is-batch", agent: "bot" }],
      }),
    });
    expect(suppressed.disappeared.map((d) => d.agent_id)).toEqual(["bot"]);
    expect(suppressed.counts.appeared).toBe(0);

    const exported = [event("quiet", T0, { action: { name: "crm.export" } })];
    const changed = whatIf({
      events: exported,
      current: denyExports(),
      proposed: denyExports("revoke"),
    });
    expect(changed.counts).toEqual({ appeared: 0, disappeared: 0, changed: 1 });
    expect(changed.changed[0]?.current.action).toBe("step_up");
    expect(changed.changed[0]?.proposed.action).toBe("revoke");
  });

  it("pairs a decision the proposed policy only moves by a few events", () => {
    // Burst evidence muted for the first second: the revocation comes a few events later,
    // the same decision moved, not one gone and one new.
    const events = burst("bot", 30);
    const heavier = parsePolicy({
      version: 2,
      suppressions: [
        {
          id: "warm-up",
          agent: "bot",
          detectors: ["burst"],
          until: new Date(T0 + 1_000).toISOString(),
        },
      ],
    });
    const result = whatIf({ events, proposed: heavier });
    expect(result.decisions).toEqual({ current: 1, proposed: 1 });
    expect(result.counts).toEqual({ appeared: 0, disappeared: 0, changed: 0 });
    // Outside the window they are two decisions.
    const apart = whatIf({ events, proposed: heavier, matchWindowMs: 0 });
    expect(apart.counts).toEqual({ appeared: 1, disappeared: 1, changed: 0 });
  });

  it("caps the lists but not the counts", () => {
    const many = Array.from({ length: 5 }, (_, i) =>
      event(`agent-${i}`, T0 + i, { action: { name: "crm.export" } }),
    );
    const capped = whatIf({
      events: many,
      proposed: denyExports(),
      maxListed: 2,
    });
    expect(capped.counts.appeared).toBe(5);
    expect(capped.appeared).toHaveLength(2);
  });
});
