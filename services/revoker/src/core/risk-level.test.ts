import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  actionFromDecision,
  manualAction,
  type AgentAction,
} from "./action.js";
import {
  parseRiskRecord,
  recoveryAction,
  recoveryDue,
  riskKey,
  riskRecordOf,
} from "./risk-level.js";

const alert = (risk: number): AgentAction =>
  actionFromDecision(
    {
      schema: "agent-decision/v1",
      decision_id: "dec-1",
      tenant: "acme",
      agent_id: "agent:x/1",
      action: "alert",
      risk,
      at: "2026-11-23T09:00:00Z",
      reasons: [{ detector: "rate_spike", score: risk, summary: "many calls" }],
    },
    0,
  );
const at = Date.parse("2026-11-23T09:00:00Z") / 1000;

describe("risk levels: previous_level and recovery", () => {
  it("keeps what an action reported, and reads back only a well-formed record", () => {
    const record = riskRecordOf(alert(0.5));
    expect(record).toEqual({
      tenant: "acme",
      agentId: "agent:x/1",
      level: "MEDIUM",
      kind: "alert",
      atSeconds: at,
    });
    expect(parseRiskRecord(JSON.stringify(record))).toEqual(record);
    for (const bad of [
      "",
      "{",
      "null",
      JSON.stringify({ ...record, level: "CRITICAL" }),
    ])
      expect(parseRiskRecord(bad)).toBeUndefined();
  });

  it("recovers an alert above LOW after the quiet period, never a revoke, a step-up's hold or an agent at LOW", () => {
    const medium = riskRecordOf(alert(0.5));
    expect(recoveryDue(medium, at + 59, 60)).toBe(false);
    expect(recoveryDue(medium, at + 60, 60)).toBe(true);
    expect(recoveryDue(medium, at + 1e6, 0)).toBe(false);
    expect(recoveryDue(riskRecordOf(alert(0.1)), at + 1e6, 60)).toBe(false);
    const revoke = riskRecordOf(
      manualAction({
        kind: "revoke",
        id: "m",
        tenant: "acme",
        agentId: "a",
        reason: "x",
        nowSeconds: at,
      }),
    );
    expect(recoveryDue(revoke, at + 1e6, 60)).toBe(false);
    expect(
      recoveryDue({ ...medium, kind: "step_up", level: "HIGH" }, at + 1e6, 60),
    ).toBe(false);
  });

  it("reports the recovery at LOW, previous_level the last report, initiated by the system", () => {
    const action = recoveryAction(riskRecordOf(alert(0.9)), at + 120.7, 60);
    expect(action).toMatchObject({
      kind: "alert",
      tenant: "acme",
      agentId: "agent:x/1",
      riskLevel: "LOW",
      previousRiskLevel: "HIGH",
      initiatingEntity: "system",
      eventTimeSeconds: at + 120,
      credentialIds: [],
    });
  });

  it("gives each tenant and agent its own KV-safe key", () => {
    const safe = /^[-/_=.a-zA-Z0-9]+$/;
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string(),
        (t1, a1, t2, a2) => {
          expect(riskKey(t1, a1)).toMatch(safe);
          if (t1 !== t2 || a1 !== a2)
            expect(riskKey(t1, a1)).not.toBe(riskKey(t2, a2));
        },
      ),
    );
  });
});
