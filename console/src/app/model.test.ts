import { describe, expect, it } from "vitest";
import {
  agentPath,
  agentStatus,
  decisionSentence,
  delegationChain,
  deliveries,
  formatDuration,
  formatValue,
  timeToDecide,
  whatIfRows,
  type AuditRecord,
  type Decision,
} from "./model.js";

const decision: Decision = {
  decision_id: "d1",
  tenant: "acme",
  agent_id: "worker",
  action: "revoke",
  risk: 0.97,
  at: "2026-01-01T10:00:00.000Z",
  decided_at: "2026-01-01T10:00:00.420Z",
  owner: "alice@acme.example",
  on_behalf_of: "alice@acme.example",
  delegation: ["planner", "worker"],
  reasons: [
    { detector: "novel_action", score: 0.4, summary: "new action" },
    { detector: "burst", score: 1, summary: "60 calls in 10 s vs 16" },
  ],
};

describe("console model", () => {
  it("writes the sentence strongest reason first", () => {
    expect(decisionSentence(decision)).toBe(
      "60 calls in 10 s vs 16; new action",
    );
  });
  it("walks the delegation chain up to the human owner once", () => {
    expect(delegationChain(decision)).toEqual([
      "worker",
      "planner",
      "alice@acme.example",
    ]);
    expect(
      delegationChain({
        ...decision,
        delegation: undefined,
        owner: undefined,
        on_behalf_of: undefined,
      }),
    ).toEqual(["worker"]);
  });
  it("keeps the latest state of each SET per receiver", () => {
    const base = {
      action: "revoke",
      txn: "d1",
      tenant: "acme",
      agent_id: "worker",
      stream_id: "s1",
      receiver: "idp",
      jti: "j1",
      event_type:
        "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
    };
    const records: AuditRecord[] = [
      { ...base, at: "2026-01-01T10:00:01Z", step: "queued" },
      {
        ...base,
        at: "2026-01-01T10:00:03Z",
        step: "delivered",
        attempt: 2,
        outcome: "202",
      },
      {
        ...base,
        at: "2026-01-01T10:00:02Z",
        step: "retrying",
        attempt: 1,
        outcome: "503",
      },
      { ...base, at: "2026-01-01T10:00:00Z", step: "awaiting_approval" },
      {
        ...base,
        jti: "j2",
        stream_id: "s2",
        receiver: "app",
        at: "2026-01-01T10:00:02Z",
        step: "dead_lettered",
      },
    ];
    expect(deliveries(records)).toEqual([
      expect.objectContaining({
        receiver: "idp",
        state: "delivered",
        attempts: 2,
        answer: "202",
        eventType: "session-revoked",
      }),
      expect.objectContaining({ receiver: "app", state: "dead_lettered" }),
    ]);
  });
  it("says where the agent stands after the latest audit step", () => {
    const step = (action: string, stepName: string): AuditRecord => ({
      at: "2026-01-01T10:00:00Z",
      step: stepName,
      action,
      txn: "d1",
      tenant: "acme",
      agent_id: "worker",
    });
    expect(agentStatus([])).toBeUndefined();
    expect(agentStatus([step("revoke", "awaiting_approval")])).toBe(
      "awaiting_approval",
    );
    expect(agentStatus([step("revoke", "delivered")])).toBe("revoked");
    expect(agentStatus([step("revoke", "denied")])).toBe("denied");
    expect(
      agentStatus([step("reinstate", "queued"), step("revoke", "delivered")]),
    ).toBe("reinstated");
  });
  it("formats values and durations for people", () => {
    expect(formatValue({ calls_per_min: 1250, p99: 40.123 })).toBe(
      "calls per min: 1,250, p99: 40.12",
    );
    expect(formatValue(undefined)).toBe("—");
    expect(formatDuration(420)).toBe("420 ms");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_800_000)).toBe("2 h 10 min");
    expect(timeToDecide(decision)).toBe(420);
  });
  it("puts any agent id in one path segment", () => {
    expect(agentPath("acme", "a/b?<x>")).toBe("/agents/acme/a%2Fb%3F%3Cx%3E");
  });
});

describe("whatIfRows", () => {
  it("lists every difference in event time with what the action becomes", () => {
    const at = (iso: string, id: string, action: Decision["action"]) => ({
      ...decision,
      decision_id: id,
      at: iso,
      action,
    });
    const rows = whatIfRows({
      from: "2026-01-01T09:00:00.000Z",
      to: "2026-01-01T11:00:00.000Z",
      events: 10,
      complete: true,
      decisions: { current: 2, proposed: 2 },
      counts: { appeared: 1, disappeared: 1, changed: 1 },
      appeared: [at("2026-01-01T10:30:00.000Z", "a", "step_up")],
      disappeared: [at("2026-01-01T09:30:00.000Z", "b", "alert")],
      changed: [
        {
          current: at("2026-01-01T10:00:00.000Z", "c0", "step_up"),
          proposed: at("2026-01-01T10:00:00.000Z", "c1", "revoke"),
        },
      ],
    });
    expect(rows.map((row) => [row.change, row.action])).toEqual([
      ["disappeared", "none (was alert)"],
      ["changed", "step_up → revoke"],
      ["appeared", "step_up"],
    ]);
  });
});
