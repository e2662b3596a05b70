import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionFromDecision, manualAction } from "./action.js";
import {
  compileApprovalPatterns,
  needsApproval,
  pendingApproval,
  judgedAction,
  resolveApproval,
  stepUpPending,
} from "./approval.js";
import { killSwitchMessage, killSwitchWrite } from "../adapters/kill-switch.js";

const action = actionFromDecision(
  {
    schema: "agent-decision/v1",
    decision_id: "d1",
    tenant: "acme",
    agent_id: "prod-db.agent",
    action: "revoke",
    risk: 0.9,
    at: "2026-11-23T10:00:00Z",
    reasons: [{ detector: "rate_spike", score: 0.9, summary: "burst" }],
  },
  0,
);

describe("approval", () => {
  it("matches tenant/agent patterns with * and nothing else special", () => {
    const matches = compileApprovalPatterns(["acme/prod-*", "*/payments"]);
    expect(matches("acme", "prod-db.agent")).toBe(true);
    expect(matches("acme", "dev-db")).toBe(false);
    expect(matches("globex", "payments")).toBe(true);
    expect(matches("globex", "payments-2")).toBe(false);
    expect(compileApprovalPatterns(["acme/a.c"])("acme", "abc")).toBe(false);
  });

  it("holds only policy revokes", () => {
    const all = compileApprovalPatterns(["*"]);
    expect(needsApproval(action, all)).toBe(true);
    expect(needsApproval({ ...action, kind: "step_up" }, all)).toBe(false);
    expect(
      needsApproval(
        manualAction({
          kind: "revoke",
          id: "m",
          tenant: "acme",
          agentId: "x",
          reason: "r",
          nowSeconds: 0,
        }),
        all,
      ),
    ).toBe(false);
  });

  it("approval revokes with the approver named; denial does nothing", () => {
    const pending = pendingApproval(action, 1000, 500);
    expect(pending.deadline_ms).toBe(1500);
    expect(resolveApproval(pending, "approve", "soc")?.reasonAdmin).toBe(
      "burst (approved by soc)",
    );
    expect(resolveApproval(pending, "deny", "soc")).toBeUndefined();
    expect(
      resolveApproval(pending, "approve", "soc", "confirmed with the owner")
        ?.reasonAdmin,
    ).toBe("burst (approved by soc: confirmed with the owner)");
    expect(
      judgedAction(pending, "deny", "soc", "known batch").reasonAdmin,
    ).toBe("burst (denied by soc: known batch)");
  });

  it("a pattern without * matches exactly its own text", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (tenant, agent) => {
        const text = `${tenant}/${agent}`;
        fc.pre(!text.includes("*"));
        expect(compileApprovalPatterns([text])(tenant, agent)).toBe(true);
        expect(compileApprovalPatterns([text])(tenant, `${agent}x`)).toBe(
          false,
        );
      }),
    );
  });

  it("a step-up holds now; approval releases it, refusal or the timeout revokes", () => {
    const stepUp = { ...action, kind: "step_up" as const };
    const pending = stepUpPending(stepUp, 1000, {
      actions: ["export", "send_external"],
      timeoutMs: 500,
    });
    expect(pending.action.hold).toEqual({
      actions: ["export", "send_external"],
      answerByMs: 1500,
    });
    expect(needsApproval(stepUp, () => true)).toBe(false);
    const released = resolveApproval(pending, "approve", "owner");
    expect(released).toMatchObject({
      kind: "release",
      riskLevel: "LOW",
      reasonAdmin: "burst (approved by owner)",
    });
    expect(released?.hold).toBeUndefined();
    expect(resolveApproval(pending, "deny", "owner")).toMatchObject({
      kind: "revoke",
      reasonUser: "Access was suspended by the security policy.",
    });
    expect(resolveApproval(pending, "deny", "timeout")?.reasonAdmin).toBe(
      "burst (step-up not approved by its owner in time; escalated to revoke)",
    );
    expect(
      killSwitchMessage(pending.action, "2026-11-23T10:00:00.000Z"),
    ).toMatchObject({
      action: "hold",
      hold: {
        actions: ["export", "send_external"],
        answer_by: "1970-01-01T00:00:01.500Z",
      },
    });
    expect(
      killSwitchMessage(released!, "2026-11-23T10:00:00.000Z").action,
    ).toBe("reinstate");
  });

  it("a hold never replaces a revoke and a release lifts only a hold", () => {
    const at = "2026-11-23T10:00:00.000Z";
    const revoked = killSwitchMessage(action, at);
    const held = killSwitchMessage(
      {
        ...action,
        kind: "step_up",
        hold: { actions: ["export"], answerByMs: 0 },
      },
      at,
    );
    const stepUp = { ...action, kind: "step_up" as const };
    const release = { ...action, kind: "release" as const };
    expect(killSwitchWrite(stepUp, undefined)).toBe("put");
    expect(killSwitchWrite(stepUp, held)).toBe("put");
    expect(killSwitchWrite(stepUp, revoked)).toBe("keep");
    expect(killSwitchWrite(release, held)).toBe("delete");
    expect(killSwitchWrite(release, revoked)).toBe("keep");
    expect(killSwitchWrite(release, undefined)).toBe("keep");
    expect(killSwitchWrite(action, held)).toBe("put");
  });
});
