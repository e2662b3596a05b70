import { describe, expect, it } from "vitest";
import type { DecisionV1 } from "@warden/shared";
import {
  SESSION_REVOKED_EVENT,
  buildRevocationSet,
  revocationJti,
} from "./set.js";

const decision: DecisionV1 = {
  schema: "agent-decision/v1",
  decision_id: "dec-1",
  tenant: "acme",
  agent_id: "agent:x/1",
  action: "revoke",
  risk: 0.97,
  at: "2026-11-23T09:00:00.500Z",
  reasons: [
    { detector: "rate_spike", score: 0.97, summary: "1,250 calls/min vs 40" },
    { detector: "novel_resource", score: 0.5, summary: "second reason" },
  ],
};
const options = {
  issuer: "https://warden.example",
  audience: "https://receiver.example/events",
  nowSeconds: 1_800_000_000.9,
};

describe("buildRevocationSet", () => {
  it("builds a CAEP session-revoked SET with sub_id and txn, never sub or exp", () => {
    const claims = buildRevocationSet(decision, options);
    expect(claims).toEqual({
      iss: "https://warden.example",
      aud: "https://receiver.example/events",
      iat: 1_800_000_000,
      jti: revocationJti("dec-1", "https://receiver.example/events"),
      txn: "dec-1",
      sub_id: { format: "opaque", id: "agent:x/1" },
      events: {
        [SESSION_REVOKED_EVENT]: {
          event_timestamp: Date.parse("2026-11-23T09:00:00Z") / 1000,
          initiating_entity: "policy",
          reason_admin: { en: "1,250 calls/min vs 40" },
        },
      },
    });
    expect(claims).not.toHaveProperty("sub");
    expect(claims).not.toHaveProperty("exp");
    expect(Object.keys(claims.events)).toHaveLength(1);
  });

  it("derives a stable 32-hex jti from decision id and audience", () => {
    const first = buildRevocationSet(decision, options);
    const again = buildRevocationSet(decision, { ...options, nowSeconds: 1 });
    expect(first.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(again.jti).toBe(first.jti);
    expect(
      buildRevocationSet(decision, { ...options, audience: "other" }).jti,
    ).not.toBe(first.jti);
    expect(
      buildRevocationSet({ ...decision, decision_id: "dec-2" }, options).jti,
    ).not.toBe(first.jti);
  });
});
