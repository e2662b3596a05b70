import { describe, expect, it } from "vitest";
import type { CanonicalEvent } from "@warden/shared";
import { observeBurst, type BurstState } from "./burst-rule.js";

function event(agentId: string, timeMs: number, index: number): CanonicalEvent {
  return {
    schema: "agent-event/v1",
    event_id: `event-${agentId}-${index}`,
    time: new Date(timeMs).toISOString(),
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: "acme",
    agent: { id: agentId },
    credential: { id: "key", type: "api_key" },
    action: { name: "x", verb: "read" },
    outcome: "success",
    delegation: [agentId],
    chain_depth: 1,
    chain_root: agentId,
    attributes: {},
  };
}

describe("observeBurst", () => {
  const rule = { maxCalls: 5, windowMs: 1_000 };

  it("revokes once when an agent crosses the limit inside the window", () => {
    const state: BurstState = new Map();
    const decisions = Array.from({ length: 10 }, (_, i) =>
      observeBurst(state, rule, event("a", i * 10, i), "2026-11-02T10:00:00Z"),
    ).filter(Boolean);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: "revoke",
      agent_id: "a",
      trigger_event_id: "event-a-5",
    });
    expect(decisions[0]?.reasons[0]?.summary).toBe(
      "6 calls in 1 s; the limit is 5 per 1 s",
    );
  });

  it("leaves an agent alone at the limit, and keeps agents apart", () => {
    const state: BurstState = new Map();
    const slow = Array.from({ length: 20 }, (_, i) =>
      observeBurst(state, rule, event("slow", i * 250, i), "now"),
    );
    const other = Array.from({ length: 5 }, (_, i) =>
      observeBurst(state, rule, event("other", i, i), "now"),
    );
    expect(
      [...slow, ...other].every((decision) => decision === undefined),
    ).toBe(true);
  });

  it("gives the same decision id for the same events (replay is idempotent)", () => {
    const run = () => {
      const state: BurstState = new Map();
      return Array.from({ length: 6 }, (_, i) =>
        observeBurst(state, rule, event("a", i, i), "now"),
      ).find(Boolean)?.decision_id;
    };
    expect(run()).toBeDefined();
    expect(run()).toBe(run());
  });
});
