import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  killSwitchFromSet,
  SSF_EVENT,
  subjectOf,
  wardenTenantOfIssuer,
} from "./ssf-events.js";

const base = {
  iss: "https://warden.example",
  aud: "https://gateway.example/ssf",
  iat: 1_795_000_000,
  jti: "jti-1",
  txn: "decision-1",
  sub_id: { format: "opaque", id: "agent:x/1" },
};

describe("killSwitchFromSet", () => {
  it("revokes on session-revoked with the admin reason, decision and time", () => {
    const outcome = killSwitchFromSet(
      {
        ...base,
        events: {
          [SSF_EVENT.sessionRevoked]: {
            event_timestamp: 1_795_000_000,
            reason_admin: { en: "6 calls in 10 s; the limit is 5 per 10 s" },
          },
        },
      },
      "acme",
    );
    expect(outcome).toEqual({
      kind: "change",
      message: {
        version: 1,
        action: "revoke",
        tenant: "acme",
        agent_id: "agent:x/1",
        credential_ids: [],
        decision_id: "decision-1",
        reason: "6 calls in 10 s; the limit is 5 per 10 s",
        issued_at: new Date(1_795_000_000_000).toISOString(),
        expires_at: null,
      },
    });
  });

  it("revokes the credential of a credential-change revoke, and reinstates on account-enabled", () => {
    const credential = killSwitchFromSet(
      {
        ...base,
        events: {
          [SSF_EVENT.credentialChange]: {
            change_type: "revoke",
            friendly_name: "key-9",
          },
        },
      },
      "acme",
    );
    expect(credential).toMatchObject({
      message: { action: "revoke", credential_ids: ["key-9"] },
    });
    const rotated = killSwitchFromSet(
      {
        ...base,
        events: { [SSF_EVENT.credentialChange]: { change_type: "update" } },
      },
      "acme",
    );
    expect(rotated.kind).toBe("ignored");
    expect(
      killSwitchFromSet(
        { ...base, events: { [SSF_EVENT.accountEnabled]: {} } },
        "acme",
      ),
    ).toMatchObject({
      message: {
        action: "reinstate",
        agent_id: "agent:x/1",
        reason: "reinstated by https://warden.example (account-enabled)",
      },
    });
  });

  it("ignores events that do not revoke and subjects that name no agent", () => {
    expect(
      killSwitchFromSet(
        {
          ...base,
          events: {
            "https://schemas.openid.net/secevent/ssf/event-type/verification":
              {},
          },
        },
        "t",
      ),
    ).toMatchObject({ kind: "ignored" });
    expect(
      killSwitchFromSet(
        {
          ...base,
          sub_id: { format: "phone_number", phone_number: "+12065550100" },
          events: { [SSF_EVENT.accountDisabled]: {} },
        },
        "t",
      ),
    ).toMatchObject({ kind: "ignored", why: "sub_id names no agent" });
    expect(killSwitchFromSet({ ...base }, "t")).toMatchObject({
      kind: "ignored",
    });
  });

  it("never throws on arbitrary claims", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.anything()),
        fc.anything(),
        (claims, events) => {
          const outcome = killSwitchFromSet({ ...claims, events }, "t");
          expect(["change", "ignored"]).toContain(outcome.kind);
        },
      ),
    );
  });
});

describe("subjectOf", () => {
  it("reads the tenant from Warden's per-tenant agent issuer, and email subjects", () => {
    const tenantOf = wardenTenantOfIssuer("https://warden.example/");
    expect(
      subjectOf(
        {
          format: "iss_sub",
          iss: "https://warden.example/tenants/acme%2Fprod",
          sub: "bot",
        },
        tenantOf,
      ),
    ).toEqual({ agentId: "bot", tenant: "acme/prod" });
    expect(
      subjectOf(
        { format: "iss_sub", iss: "https://elsewhere/tenants/acme", sub: "b" },
        tenantOf,
      ),
    ).toEqual({ agentId: "b", tenant: undefined });
    expect(subjectOf({ format: "email", email: "bot@acme.example" })).toEqual({
      agentId: "bot@acme.example",
      tenant: undefined,
    });
  });

  it("reads opaque, iss_sub and complex subjects", () => {
    expect(subjectOf({ format: "opaque", id: "a" })).toEqual({
      agentId: "a",
      tenant: undefined,
    });
    expect(
      subjectOf({ format: "iss_sub", iss: "https://i", sub: "b" }),
    ).toEqual({ agentId: "b", tenant: undefined });
    expect(
      subjectOf({
        format: "complex",
        user: { format: "opaque", id: "c" },
        tenant: { format: "opaque", id: "acme" },
      }),
    ).toEqual({ agentId: "c", tenant: "acme" });
    expect(subjectOf({ format: "complex" })).toBeUndefined();
  });
});
