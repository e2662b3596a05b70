import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BaselineModel, CanonicalEvent } from "@warden/shared";
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
import type { BaselineLevel } from "@warden/shared";
import { baseline, event, stats } from "../fixtures.test-support.js";
import { parsePolicy } from "../policy.js";
import { denyRuleDetector, type DenyRule } from "./rules.js";
import { hourOfWeek, offHoursDetector, slowDriftDetector } from "./temporal.js";
import {
  DEFAULT_DETECTOR_LIMITS,
  type Detector,
  type DetectorResult,
} from "./types.js";

const layout = createWindowLayout(DEFAULT_DETECTOR_LIMITS.burstWindowMs);
const HOUR = 3_600_000;
// Monday 2026-11-23 00:00 UTC.
const MONDAY = Date.parse("2026-11-23T00:00:00.000Z");

function run(
  detector: Detector,
  events: readonly CanonicalEvent[],
  model: BaselineModel | undefined,
  options: { level?: BaselineLevel; denyRules?: readonly DenyRule[] } = {},
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
      baseline: model ? { model, level: options.level ?? "agent" } : undefined,
      limits: DEFAULT_DETECTOR_LIMITS,
      credentialAgents: 1,
      denyRules: options.denyRules ?? [],
      baselines: createBaselineIndex(),
      revokedAtMs: undefined,
      seen: (scope?: "agent" | "peer") => (scope === "peer" ? peerSeen : seen),
      peerTransitions: () => peers,
    });
  });
}

const last = <T>(values: readonly T[]): T | undefined =>
  values[values.length - 1];

/** Business hours: 08:00–18:00 UTC on weekdays 30 calls an hour, otherwise nothing. */
function businessHours(): number[] {
  return Array.from({ length: 168 }, (_, slot) =>
    slot < 120 && slot % 24 >= 8 && slot % 24 < 18 ? 30 : 0,
  );
}

describe("off_hours", () => {
  it("indexes hours of the week from Monday 00:00 UTC", () => {
    expect(hourOfWeek(MONDAY)).toBe(0);
    expect(hourOfWeek(MONDAY + 26 * HOUR + 5)).toBe(26);
    expect(hourOfWeek(MONDAY - 1)).toBe(167);
  });

  it("fires on many calls in a quiet hour of a periodic agent's own profile, and says why", () => {
    const model = baseline({ hourOfWeek: businessHours() });
    // Tuesday 02:00–02:50: 60 calls, one every 50 s.
    const night = Array.from({ length: 60 }, (_, i) =>
      event("bot", MONDAY + 26 * HOUR + i * 50_000),
    );
    const results = run(offHoursDetector, night, model);
    expect(results[4]).toBeUndefined();
    const verdict = last(results);
    expect(verdict?.bits).toBeGreaterThan(12);
    // 10 of 12 five-minute blocks active; 12 expected in an active hour × the Laplace chance
    // 1/(~7 days + 2) of this hour being active.
    expect(verdict?.summary).toBe(
      "60 calls in 50 minutes (10 five-minute blocks) of the last hour at Tue 02:00 UTC, an hour of the day this agent seldom works; its history expects about 1.3 active blocks then",
    );
    // 20 calls: less surprising.
    const some = last(run(offHoursDetector, night.slice(0, 20), model));
    expect(some?.bits).toBeGreaterThan(1);
    expect(some?.bits).toBeLessThan(verdict?.bits ?? 0);
  });

  it("learns the hours from the agent's own rhythm: stray night calls do not hide a burst, a nightly job's hour does", () => {
    // Business hours, plus the follow-the-sun trickle: one call at 00:00 and 03:00 some nights.
    const trickle = businessHours();
    for (const slot of [0, 3, 24 + 3, 48]) trickle[slot] = 1;
    const night = Array.from({ length: 60 }, (_, i) =>
      event("bot", MONDAY + 26 * HOUR + i * 50_000),
    );
    expect(
      last(run(offHoursDetector, night, baseline({ hourOfWeek: trickle })))
        ?.bits,
    ).toBeGreaterThan(12);
    // A baseline rebuilt during the burst holds the burst itself in today's slots (Tuesday
    // 01:00–02:00): it does not teach the hour to be busy.
    const poisoned = businessHours();
    poisoned[24 + 2] = 60;
    poisoned[24 + 1] = 5;
    expect(
      last(run(offHoursDetector, night, baseline({ hourOfWeek: poisoned })))
        ?.bits,
    ).toBeGreaterThan(12);
    // A nightly job at 01:00 (jittering an hour either way): 02:00 is its time.
    const nightly = businessHours();
    for (let day = 0; day < 7; day++) nightly[day * 24 + 1] = 40;
    expect(
      run(offHoursDetector, night, baseline({ hourOfWeek: nightly })).every(
        (r) => !r,
      ),
    ).toBe(true);
  });

  it("says nothing on less than two days of the agent's own history", () => {
    const young = baseline({ hourOfWeek: businessHours() });
    const model = {
      ...young,
      history: {
        ...young.history,
        firstSeenMs: young.history.lastSeenMs - 36 * HOUR,
      },
    };
    const night = Array.from({ length: 60 }, (_, i) =>
      event("bot", MONDAY + 26 * HOUR + i * 50_000),
    );
    expect(run(offHoursDetector, night, model).every((r) => !r)).toBe(true);
  });

  it("stays quiet in busy hours, without a profile, and on a peer group's profile", () => {
    const model = baseline({ hourOfWeek: businessHours() });
    const day = Array.from({ length: 60 }, (_, i) =>
      event("bot", MONDAY + 34 * HOUR + i * 50_000),
    );
    expect(run(offHoursDetector, day, model).every((r) => !r)).toBe(true);
    const night = Array.from({ length: 60 }, (_, i) =>
      event("bot", MONDAY + 26 * HOUR + i * 50_000),
    );
    expect(run(offHoursDetector, night, baseline()).every((r) => !r)).toBe(
      true,
    );
    expect(
      run(offHoursDetector, night, model, { level: "peer" }).every((r) => !r),
    ).toBe(true);
  });
});

describe("slow_drift", () => {
  /** `hours` active hours, each with 10 calls of `bytes` bytes out. */
  function hourly(
    hours: number,
    bytes: (hour: number) => number,
  ): CanonicalEvent[] {
    return Array.from({ length: hours * 10 }, (_, i) => {
      const hour = Math.floor(i / 10);
      return event("bot", MONDAY + hour * HOUR + (i % 10) * 60_000, {
        bytes_out: bytes(hour),
      });
    });
  }
  // p99 of the hourly bytes: 300 kB.
  const model = baseline({ bytesPerHour: stats(50_000, 10_000, 300_000) });

  it("fires when both averages stay well above the baseline's p99 hour", () => {
    // 3 MB an hour (10 × the p99) for a day.
    const verdict = last(
      run(
        slowDriftDetector,
        hourly(24, () => 300_000),
        model,
      ),
    );
    expect(verdict?.detector).toBe("slow_drift");
    expect(verdict?.bits).toBeGreaterThan(24);
    expect(verdict?.summary).toMatch(
      /^2\.9 MiB out per active hour over ~6 h and 2\.9 MiB over ~24 h; the agent baseline's heavy hour \(p99\) is 293 KiB$/,
    );
  });

  it("ignores one big hour and normal volume", () => {
    // One hour of 3 MB (10 × the p99; volume_exfil's business), then normal hours.
    const spike = run(
      slowDriftDetector,
      hourly(24, (hour) => (hour === 6 ? 300_000 : 5_000)),
      model,
    );
    expect(spike.every((r) => !r)).toBe(true);
    const normal = run(
      slowDriftDetector,
      hourly(24, () => 5_000),
      model,
    );
    expect(normal.every((r) => !r)).toBe(true);
    expect(
      run(
        slowDriftDetector,
        hourly(24, () => 300_000),
        undefined,
      ).every((r) => !r),
    ).toBe(true);
  });

  it("keeps its evidence finite and positive for any traffic", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50_000_000 }), {
          minLength: 1,
          maxLength: 60,
        }),
        (perHour) => {
          const events = perHour.map((bytes, hour) =>
            event("bot", MONDAY + hour * HOUR, { bytes_out: bytes }),
          );
          for (const r of run(slowDriftDetector, events, model)) {
            if (!r) continue;
            expect(r.bits).toBeGreaterThanOrEqual(1);
            expect(r.bits).toBeLessThanOrEqual(128);
          }
        },
      ),
    );
  });
});

describe("deny_rule", () => {
  const rules: DenyRule[] = [
    { id: "no-iam-for-bots", agentKind: "support", verbs: ["admin"] },
    { id: "no-public-egress", sourceIps: ["203.0.113."] },
  ];

  it("reports the first matching rule and names it", () => {
    const verdict = last(
      run(
        denyRuleDetector,
        [
          event("bot", MONDAY, {
            action: { name: "iam.roles.assign", verb: "admin" },
            resource: { id: "role:1", type: "iam_role" },
          }),
        ],
        undefined,
        { denyRules: rules },
      ),
    );
    expect(verdict).toMatchObject({ detector: "deny_rule", bits: 20 });
    expect(verdict?.summary).toBe(
      "iam.roles.assign on iam_role role:1 matches deny rule no-iam-for-bots; the policy forbids it",
    );
    const fromBadIp = run(
      denyRuleDetector,
      [event("bot", MONDAY, { source: { ip: "203.0.113.9" } })],
      undefined,
      { denyRules: rules },
    );
    expect(fromBadIp[0]?.summary).toContain("no-public-egress");
  });

  it("needs every given field to match", () => {
    const results = run(
      denyRuleDetector,
      [
        event("bot", MONDAY, {
          agent: { kind: "ci" },
          action: { verb: "admin" },
        }),
        event("bot", MONDAY, { source: { ip: "203.0.1.9" } }),
        event("bot", MONDAY),
      ],
      undefined,
      { denyRules: rules },
    );
    expect(results).toEqual([undefined, undefined, undefined]);
  });

  it("is read from the policy file, validated, and steps up by default", () => {
    const policy = parsePolicy({ version: 1, denyRules: rules });
    expect(policy.denyRules).toEqual(rules);
    expect(policy.detectors.deny_rule).toMatchObject({
      action: "step_up",
      minBits: 0,
    });
    expect(() =>
      parsePolicy({ version: 1, denyRules: [{ id: "x", verbs: [] }] }),
    ).toThrow(/denyRules\/0\/verbs/);
  });
});
