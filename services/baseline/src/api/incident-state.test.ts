import { describe, expect, it } from "vitest";
import { IncidentState, incidentState } from "./incident-state.js";

describe("incidentState", () => {
  const at = 1_000_000;
  it("follows the revoker's audit trail after the latest decision", () => {
    const of = (action: string, step: string, atMs = at + 5) =>
      incidentState({
        decisionAction: "revoke",
        lastDecisionMs: at,
        lastAudit: { action, step, atMs },
      });
    expect(of("revoke", "awaiting_approval")).toBe(
      IncidentState.awaitingApproval,
    );
    expect(of("revoke", "denied")).toBe(IncidentState.denied);
    expect(of("revoke", "delivered")).toBe(IncidentState.revoked);
    expect(of("reinstate", "delivered")).toBe(IncidentState.reinstated);
  });
  it("does not let an older reinstatement close a newer incident", () => {
    expect(
      incidentState({
        decisionAction: "revoke",
        lastDecisionMs: at,
        lastAudit: { action: "reinstate", step: "delivered", atMs: at - 1 },
      }),
    ).toBe(IncidentState.revoked);
  });
  it("falls back to the decision's action without an audit record", () => {
    expect(incidentState({ decisionAction: "alert", lastDecisionMs: at })).toBe(
      IncidentState.alerted,
    );
    expect(
      incidentState({ decisionAction: "step_up", lastDecisionMs: at }),
    ).toBe(IncidentState.steppedUp);
  });
});
