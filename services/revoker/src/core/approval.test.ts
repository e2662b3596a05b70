import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionFromDecision, manualAction } from "./action.js";
import {
  compileApprovalPatterns,
  needsApproval,
  pendingApproval,
  judgedAction,
  resolveApproval,
} from "./approval.js";

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
});
