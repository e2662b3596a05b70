import { describe, expect, it } from "vitest";
import { manualAction } from "./action.js";
import { delegationChain } from "./audit.js";
import { cascadeActions } from "./cascade.js";

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

describe("cascadeActions", () => {
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
});
