import { describe, expect, it } from "vitest";
import { manualAction, type AgentAction } from "./action.js";
import { delegationChain } from "./audit.js";
import { planCascade } from "./cascade.js";

const parent = {
  ...manualAction({
    kind: "revoke",
    id: "dec-1",
    tenant: "acme",
    agentId: "planner",
    reason: "bulk export",
    nowSeconds: 100,
  }),
  owner: "alice",
  delegation: ["root", "planner"],
};
const descendants = [
  { agentId: "worker", path: ["planner", "worker"], credentialIds: ["key-w"] },
  {
    agentId: "helper",
    path: ["planner", "worker", "helper"],
    credentialIds: [],
  },
];

const open = { maxAgents: 100, needsApproval: () => false };
const cascadeActions = (
  action: typeof parent,
  list: typeof descendants,
): readonly AgentAction[] => planCascade(action, list, open).actions;

describe("planCascade", () => {
  it("revokes every sub-agent under the same txn, with its own credentials and the reason", () => {
    const actions = cascadeActions(parent, descendants);
    expect(actions.map((a) => [a.agentId, a.id, a.credentialIds])).toEqual([
      ["worker", "dec-1", ["key-w"]],
      ["helper", "dec-1", []],
    ]);
    expect(actions[1]?.reasonAdmin).toBe(
      "delegated by planner → worker, revoked: bulk export",
    );
    expect(delegationChain(actions[1]!)).toEqual([
      "helper",
      "worker",
      "planner",
      "root",
      "alice",
    ]);
  });

  it("does not cascade reinstatement or step-up", () => {
    expect(
      cascadeActions({ ...parent, kind: "reinstate" }, descendants),
    ).toEqual([]);
    expect(cascadeActions({ ...parent, kind: "step_up" }, descendants)).toEqual(
      [],
    );
  });

  it("holds sub-agents behind an approval pattern, and what is below them (issue 16)", () => {
    const plan = planCascade(parent, descendants, {
      maxAgents: 100,
      needsApproval: (tenant, agentId) =>
        tenant === "acme" && agentId === "worker",
    });
    expect(plan.actions).toEqual([]);
    expect(plan.held.map((a) => [a.agentId, a.id, a.initiatingEntity])).toEqual(
      [["worker", "dec-1/worker", "policy"]],
    );
  });

  it("caps the fan-out, nearest first", () => {
    const many = Array.from({ length: 500 }, (_, index) => ({
      agentId: `w-${index}`,
      path: ["planner", `w-${index}`],
      credentialIds: [],
    }));
    const plan = planCascade(parent, many, { ...open, maxAgents: 10 });
    expect(plan.actions.map((a) => a.agentId)).toEqual(
      many.slice(0, 10).map((d) => d.agentId),
    );
    expect(plan.capped).toBe(490);
  });
});
