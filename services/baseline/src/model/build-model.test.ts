import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBaseline, encodeBaseline, HOURS_PER_WEEK } from "@warden/shared";
import type { ModelSettings } from "../config.js";
import {
  bitCount,
  buildModel,
  hourOfWeekIndex,
  hourOfWeekOccurrences,
  hourOfWeekProfile,
  isPeriodic,
  type ScopeAggregates,
} from "./build-model.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2026-01-05 is a Monday.
const MONDAY = Date.parse("2026-01-05T00:00:00.000Z");

const settings: ModelSettings = {
  windowMs: 14 * DAY,
  refreshMs: 300_000,
  minHistoryEvents: 100,
  minHistorySpanMs: DAY,
  vocabularyTop: 3,
  minQuietHours: 4,
};

const stats = { median: 4.00049, mad: 1, p95: 9, p99: 12, max: 30 };

function aggregates(overrides: Partial<ScopeAggregates> = {}): ScopeAggregates {
  return {
    scope: { level: "agent", tenant: "acme", agentId: "a1", agentKind: "bot" },
    events: 1000,
    agents: 1,
    firstSeenMs: MONDAY,
    lastSeenMs: MONDAY + 7 * DAY,
    denied: 50,
    errors: 10,
    maxChainDepth: 2,
    activeHoursOfDay: 0b1111_1111 << 9,
    activeMinutes: 300,
    activeHours: 40,
    ratePerMinute: stats,
    ratePerHour: stats,
    bytesPerCall: stats,
    bytesPerHour: undefined,
    bytesPerCallByVerb: { read: stats },
    bytesPerCallBySensitivity: {},
    vocabularies: [
      {
        dimension: "actions",
        distinct: 5,
        total: 1000,
        top: [
          ["b", 10],
          ["a", 500],
          ["c", 10],
          ["d", 400],
        ],
      },
    ],
    hourOfWeekCalls: [[9, 70]],
    ...overrides,
  };
}

const context = {
  computedAtMs: MONDAY + 14 * DAY,
  windowStartMs: MONDAY,
  windowEndMs: MONDAY + 14 * DAY,
  settings,
};

describe("buildModel", () => {
  it("trusts an agent only past the minimum history", () => {
    expect(buildModel(aggregates(), context).trusted).toBe(true);
    expect(buildModel(aggregates({ events: 99 }), context).trusted).toBe(false);
    expect(
      buildModel(aggregates({ lastSeenMs: MONDAY + DAY - 1 }), context).trusted,
    ).toBe(false);
  });

  it("gives periodic agents an hour-of-week profile and 24/7 agents none", () => {
    const periodic = buildModel(aggregates(), context);
    expect(periodic.hourOfWeek).toHaveLength(HOURS_PER_WEEK);
    // 70 calls at Monday 09:00, which occurs twice in the 14 days observed.
    expect(periodic.hourOfWeek?.[9]).toBe(35);
    const around = buildModel(
      aggregates({
        activeHoursOfDay: 0xffffff,
        hourOfWeekCalls: Array.from({ length: 24 }, (_, hour) => [hour, 50]),
      }),
      context,
    );
    expect(around.hourOfWeek).toBeNull();
    expect(
      buildModel(aggregates({ events: 1 }), context).hourOfWeek,
    ).toBeNull();
  });

  it("keeps the most frequent values, ties by value, and every dimension", () => {
    const model = buildModel(aggregates(), context);
    expect(model.vocabulary.actions).toEqual({
      distinct: 5,
      total: 1000,
      top: [
        ["a", 500],
        ["d", 400],
        ["b", 10],
      ],
    });
    expect(model.vocabulary.scopes).toEqual({ distinct: 0, total: 0, top: [] });
  });

  it("computes rates and rounds statistics to three decimals", () => {
    const model = buildModel(aggregates(), context);
    expect(model.deniedRate).toBe(0.05);
    expect(model.errorRate).toBe(0.01);
    expect(model.ratePerMinute.median).toBe(4);
    expect(model.bytesPerHour).toEqual({
      median: 0,
      mad: 0,
      p95: 0,
      p99: 0,
      max: 0,
    });
  });

  it("stays decodable and under 4 KiB for a typical agent", () => {
    const vocabulary = (dimension: string, size: number, width: number) => ({
      dimension,
      distinct: size,
      total: 50_000,
      top: Array.from(
        { length: size },
        (_, i) => [`${dimension}-${"x".repeat(width)}-${i}`, 1000 - i] as const,
      ),
    });
    const typical = aggregates({
      vocabularies: [
        vocabulary("actions", 12, 16),
        vocabulary("verbs", 3, 2),
        vocabulary("resources", 16, 20),
        vocabulary("resourceTypes", 4, 4),
        vocabulary("sensitivities", 3, 4),
        vocabulary("sourceIps", 2, 8),
        vocabulary("gateways", 1, 6),
        vocabulary("instances", 3, 10),
        vocabulary("credentials", 1, 12),
        vocabulary("scopes", 4, 8),
        vocabulary("delegationParents", 1, 8),
      ],
      hourOfWeekCalls: Array.from(
        { length: 40 },
        (_, i) => [i + 9, 1234] as const,
      ),
      bytesPerCallByVerb: { read: stats, write: stats, export: stats },
      bytesPerCallBySensitivity: { internal: stats, confidential: stats },
    });
    const model = buildModel(typical, {
      ...context,
      settings: { ...settings, vocabularyTop: 16 },
    });
    const bytes = encodeBaseline(model);
    expect(bytes.length).toBeLessThanOrEqual(4096);
    expect(decodeBaseline(bytes)).toEqual({ ok: true, model });
  });
});

describe("hour-of-week helpers", () => {
  it("numbers hours from Monday 00:00 UTC", () => {
    expect(hourOfWeekIndex(MONDAY)).toBe(0);
    expect(hourOfWeekIndex(MONDAY + 9 * HOUR + 59_000)).toBe(9);
    expect(hourOfWeekIndex(MONDAY - HOUR)).toBe(167);
  });

  it("counts each hour of the week once per week covered", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 0, max: 24 * 60 }),
        (startHour, hours) => {
          const from = startHour * HOUR;
          const occurrences = hourOfWeekOccurrences(from, from + hours * HOUR);
          expect(occurrences.reduce((a, b) => a + b, 0)).toBe(hours);
          expect(
            Math.max(...occurrences) - Math.min(...occurrences),
          ).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("averages per agent over the hours observed", () => {
    const profile = hourOfWeekProfile([[0, 30]], MONDAY, MONDAY + 21 * DAY, 5);
    expect(profile[0]).toBe(2);
    expect(profile[1]).toBe(0);
  });

  const hoursWith = (calls: (hour: number) => number) =>
    Array.from({ length: 24 }, (_, hour) => [hour, calls(hour)] as const);

  it("calls activity periodic only with enough quiet hours", () => {
    expect(bitCount(0xffffff)).toBe(24);
    expect(
      isPeriodic(
        hoursWith(() => 10),
        1,
      ),
    ).toBe(false);
    expect(
      isPeriodic(
        hoursWith((h) => (h < 20 ? 10 : 0)),
        4,
      ),
    ).toBe(true);
    expect(
      isPeriodic(
        hoursWith((h) => (h < 21 ? 10 : 0)),
        4,
      ),
    ).toBe(false);
    expect(isPeriodic([], 4)).toBe(false);
  });

  it("counts a trickle of night calls as quiet (under 5 % of the busiest hour)", () => {
    const businessHours = hoursWith((h) => (h >= 8 && h < 18 ? 600 : 8));
    expect(isPeriodic(businessHours, 4)).toBe(true);
    const evenlyBusy = hoursWith((h) => (h >= 8 && h < 18 ? 600 : 200));
    expect(isPeriodic(evenlyBusy, 4)).toBe(false);
  });

  it("sums the same hour of the day over every day of the week", () => {
    // Hour 3 is quiet on Monday but busy on Tuesday (slot 24 + 3): not quiet overall.
    const slots = [
      ...hoursWith((h) => (h === 3 ? 0 : 100)),
      [27, 100] as const,
    ];
    expect(isPeriodic(slots, 1)).toBe(false);
  });
});
