import { describe, expect, it } from "vitest";
import { manualAction, type AgentAction } from "./action.js";
import { AuditStep, auditRecord, delegationChain } from "./audit.js";
import { EventType } from "./event-types.js";

const action: AgentAction = {
  ...manualAction({
    kind: "revoke",
    id: "dec-9",
    tenant: "acme",
    agentId: "child",
    reason: "",
    nowSeconds: 0,
  }),
  initiatingEntity: "policy",
  reasonAdmin: "1,250 calls/min vs 40",
  owner: "alice@acme.example",
  onBehalfOf: "alice@acme.example",
  delegation: ["planner", "child"],
};

describe("audit", () => {
  it("walks the chain from the agent back to its human owner", () => {
    expect(delegationChain(action)).toEqual([
      "child",
      "planner",
      "alice@acme.example",
    ]);
    expect(
      delegationChain({
        ...action,
        delegation: [],
        owner: undefined,
        onBehalfOf: undefined,
      }),
    ).toEqual(["child"]);
  });

  it("says what was done, to whom, for whom and why, in one sentence", () => {
    const record = auditRecord(
      action,
      AuditStep.delivered,
      "2026-11-23T10:00:00.000Z",
      {
        streamId: "s1",
        receiver: "idp",
        jti: "j1",
        eventType: EventType.sessionRevoked,
        attempt: 3,
        outcome: "202",
      },
    );
    expect(record.sentence).toBe(
      "Warden delivered session-revoked about agent child, acting for planner for alice@acme.example " +
        "for receiver idp (stream s1) (revoke, decision dec-9) because 1,250 calls/min vs 40 after 3 attempts; receiver answered 202.",
    );
    expect(record).toMatchObject({
      schema: "warden-revocation/v1",
      txn: "dec-9",
      jti: "j1",
      step: "delivered",
    });
  });
});
