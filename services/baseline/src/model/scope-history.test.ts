import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  agentBaselineKey,
  peerBaselineKey,
  tenantBaselineKey,
  type CanonicalEvent,
} from "@warden/shared";
import { createEventHistory } from "./scope-history.js";

const T0 = Date.parse("2026-11-16T00:00:00.000Z");
const OPTIONS = { vocabularyTop: 4 };
const WINDOW = { startMs: 0, endMs: T0 + 30 * 86_400_000 };

function event(
  i: number,
  agent: number,
  minute: number,
  bytes: number,
  outcome: number,
): CanonicalEvent {
  const id = `agent-${agent}`;
  return {
    schema: "agent-event/v1",
    event_id: `e-${i}`,
    time: new Date(T0 + minute * 60_000).toISOString(),
    time_ms: T0 + minute * 60_000 + (i % 60) * 1000,
    received_ms: 0,
    late: false,
    tenant: "acme",
    agent: {
      id,
      kind: agent % 2 === 0 ? "bot" : "job",
      instance: `i-${agent % 3}`,
    },
    credential: {
      id: `cred-${agent}`,
      type: "api_key",
      scopes: [`s${i % 3}`, "read"],
    },
    action: {
      name: `act.${i % 5}`,
      verb: (["read", "write", "export"] as const)[i % 3],
    },
    resource: {
      id: `r-${i % 7}`,
      type: "ticket",
      sensitivity: (["internal", "restricted"] as const)[i % 2],
    },
    outcome: (["success", "denied", "error"] as const)[outcome],
    bytes_out: bytes,
    source: { ip: `10.0.0.${agent}`, gateway: "gw" },
    delegation: agent === 3 ? ["root", `agent-${agent}`] : [],
    chain_depth: agent === 3 ? 2 : 1,
    chain_root: "root",
    attributes: {},
  } as unknown as CanonicalEvent;
}

const KEYS = [
  ...[0, 1, 2, 3].map((agent) => agentBaselineKey("acme", `agent-${agent}`)),
  peerBaselineKey("acme", "bot"),
  peerBaselineKey("acme", "job"),
  tenantBaselineKey("acme"),
];

const arbitraryEvents = fc
  .array(
    fc.record({
      agent: fc.integer({ min: 0, max: 3 }),
      minute: fc.integer({ min: 0, max: 3000 }),
      bytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000_000 })),
      outcome: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 300 },
  )
  // Oldest first: a window loses its oldest events first.
  .map((rows) =>
    rows
      .map((row, i) => event(i, row.agent, row.minute, row.bytes, row.outcome))
      .sort((a, b) => a.time_ms - b.time_ms),
  );

describe("event history (the replay's aggregates)", () => {
  it("removing events gives exactly the aggregates of never having added them", () => {
    fc.assert(
      fc.property(arbitraryEvents, fc.nat(), (events, cut) => {
        // Whole minutes leave, as at a refresh tick (the window starts on a minute).
        const cutMs = T0 + (cut % 3002) * 60_000;
        const removed = events.filter((e) => e.time_ms < cutMs);
        const kept = events.slice(removed.length);
        const sliding = createEventHistory();
        for (const e of events) sliding.add(e);
        for (const e of removed) sliding.remove(e);
        const fresh = createEventHistory();
        for (const e of kept) fresh.add(e);
        for (const key of KEYS) {
          const a = sliding.aggregates(key, WINDOW, OPTIONS);
          const b = fresh.aggregates(key, WINDOW, OPTIONS);
          expect(
            a && {
              ...a,
              bytesPerCallByVerb: nonEmpty(a.bytesPerCallByVerb),
              bytesPerCallBySensitivity: nonEmpty(a.bytesPerCallBySensitivity),
            },
          ).toEqual(
            b && {
              ...b,
              bytesPerCallByVerb: nonEmpty(b.bytesPerCallByVerb),
              bytesPerCallBySensitivity: nonEmpty(b.bytesPerCallBySensitivity),
            },
          );
        }
        expect(sliding.scopes).toBe(fresh.scopes);
      }),
      { numRuns: 80 },
    );
  });

  it("counts per agent-minute and agent-hour, at every level, as the SQL does", () => {
    const history = createEventHistory();
    // agent-0: 3 calls in minute 0, 1 in minute 1; agent-2 (same kind): 2 calls in minute 0.
    for (const [i, agent, minute, bytes] of [
      [0, 0, 0, 10],
      [1, 0, 0, 20],
      [2, 0, 0, 30],
      [3, 0, 1, 40],
      [4, 2, 0, 0],
      [5, 2, 0, 0],
    ] as const)
      history.add(event(i, agent, minute, bytes, 0));
    const agent = history.aggregates(KEYS[0] as string, WINDOW, OPTIONS);
    expect(agent).toMatchObject({
      events: 4,
      agents: 1,
      activeMinutes: 2,
      activeHours: 1,
      ratePerMinute: { median: 3, max: 3, p99: 3, mad: 2 },
      bytesPerHour: { median: 100, max: 100 },
      bytesPerCall: { median: 30, max: 40, p95: 40 },
    });
    const peer = history.aggregates(
      peerBaselineKey("acme", "bot"),
      WINDOW,
      OPTIONS,
    );
    // Samples per agent-minute: [1, 2, 3] → nearest-rank median 2.
    expect(peer).toMatchObject({
      events: 6,
      agents: 2,
      activeMinutes: 3,
      ratePerMinute: { median: 2, max: 3 },
    });
    expect(peer?.bytesPerHour).toMatchObject({ median: 100, max: 100 });
    const actions = agent?.vocabularies.find(
      (row) => row.dimension === "actions",
    );
    expect(actions).toEqual({
      dimension: "actions",
      distinct: 4,
      total: 4,
      top: [
        ["act.0", 1],
        ["act.1", 1],
        ["act.2", 1],
        ["act.3", 1],
      ],
    });
  });

  it("measures idle stretches per agent, pooled for the peer group, as the SQL does", () => {
    const history = createEventHistory();
    // agent-0 active in hours 0, 1, 3 and 10: stretches of 2 and 7 hours (0 → 1 is none).
    // agent-2, same kind, in hours 0 and 2: one of 2.
    for (const [i, agent, minute] of [
      [0, 0, 0],
      [1, 0, 61],
      [2, 0, 181],
      [3, 0, 601],
      [4, 2, 0],
      [5, 2, 121],
    ] as const)
      history.add(event(i, agent, minute, 0, 0));
    const own = history.aggregates(KEYS[0] as string, WINDOW, OPTIONS);
    expect(own?.idleGaps).toMatchObject({
      count: 2,
      stats: { max: 7 },
    });
    const peer = history.aggregates(
      peerBaselineKey("acme", "bot"),
      WINDOW,
      OPTIONS,
    );
    expect(peer?.idleGaps).toMatchObject({ count: 3, stats: { max: 7 } });
  });
});

function nonEmpty<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record));
}
