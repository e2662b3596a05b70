import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { credentialLabel, type DecisionV1 } from "@warden/shared";
import { actionFromDecision, manualAction } from "./action.js";
import {
  EventType,
  SUPPORTED_EVENT_TYPES,
  StepUpEvent,
} from "./event-types.js";
import {
  buildActionSets,
  buildStreamSet,
  setJti,
  type SetOptions,
  type SetTarget,
} from "./set.js";
import { SUBJECT_FORMATS, type SubjectFormat } from "./subject.js";

const decision: DecisionV1 = {
  schema: "agent-decision/v1",
  decision_id: "dec-1",
  tenant: "acme",
  agent_id: "agent:x/1",
  action: "revoke",
  risk: 0.97,
  at: "2026-11-23T09:00:00.500Z",
  credential_ids: ["key_1", "key_2", "key_1"],
  reasons: [
    { detector: "rate_spike", score: 0.97, summary: "1,250 calls/min vs 40" },
    { detector: "novel_resource", score: 0.5, summary: "first crm export" },
  ],
};
const target: SetTarget = {
  streamId: "s1",
  audience: "https://receiver.example",
  eventsDelivered: SUPPORTED_EVENT_TYPES,
  subjectFormat: "opaque",
  singleTenant: true,
};
const options: SetOptions = {
  issuer: "https://warden.example",
  subjectIssuer: (tenant) => `https://agents.example/${tenant}`,
  nowSeconds: 1_800_000_000.9,
  stepUpEvent: StepUpEvent.assuranceLevelChange,
  stepUpNamespace: "NIST-AAL",
  stepUpLevel: "nist-aal1",
  credentialType: "app",
};
const toe = Date.parse("2026-11-23T09:00:00Z") / 1000;

function sets(d: DecisionV1, t = target, o = options) {
  return buildActionSets(actionFromDecision(d, o.nowSeconds), t, o);
}

function eventOf(claims: {
  events: Record<string, unknown>;
}): [string, Record<string, unknown>] {
  const entries = Object.entries(claims.events);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, Record<string, unknown>];
}

describe("buildActionSets for revoke", () => {
  it("sends session-revoked, one credential-change per distinct credential, account-disabled and risk HIGH", () => {
    const built = sets(decision);
    expect(built.map((claims) => eventOf(claims)[0])).toEqual([
      EventType.sessionRevoked,
      EventType.credentialChange,
      EventType.credentialChange,
      EventType.accountDisabled,
      EventType.riskLevelChange,
    ]);
    expect(eventOf(built[4]!)[1]).toEqual({
      principal: "USER",
      current_level: "HIGH",
      risk_reason: "1,250 calls/min vs 40; first crm export",
      event_timestamp: toe,
      initiating_entity: "policy",
    });
    const [, sessionRevoked] = eventOf(built[0]!);
    expect(built[0]).toMatchObject({
      iss: "https://warden.example",
      aud: "https://receiver.example",
      iat: 1_800_000_000,
      txn: "dec-1",
      toe,
      sub_id: { format: "opaque", id: "agent:x/1" },
    });
    expect(sessionRevoked).toEqual({
      event_timestamp: toe,
      initiating_entity: "policy",
      reason_admin: { en: "1,250 calls/min vs 40; first crm export" },
      reason_user: { en: "Access was suspended by the security policy." },
    });
    expect(eventOf(built[1]!)[1]).toMatchObject({
      credential_type: "app",
      change_type: "revoke",
      friendly_name: credentialLabel("key_1"),
    });
    expect(eventOf(built[2]!)[1]).toMatchObject({
      friendly_name: credentialLabel("key_2"),
    });
    // No secrets in SETs: an opaque token's id is the token.
    expect(JSON.stringify(built)).not.toMatch(/key_1|key_2/);
    expect(credentialLabel("key_1")).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it("adds RISC credential-compromise when the detector judged the credential misused", () => {
    const misused = {
      ...decision,
      reasons: [
        {
          detector: "credential_misuse",
          score: 0.9,
          summary: "one credential from 30 networks",
        },
      ],
    };
    const compromise = sets(misused).filter(
      (claims) => eventOf(claims)[0] === EventType.credentialCompromise,
    );
    expect(compromise).toHaveLength(1);
    expect(eventOf(compromise[0]!)[1]).toEqual({
      credential_type: "app",
      event_timestamp: toe,
      reason_admin: { en: "one credential from 30 networks" },
      reason_user: { en: "Access was suspended by the security policy." },
    });
    expect(
      sets(decision).some(
        (claims) => eventOf(claims)[0] === EventType.credentialCompromise,
      ),
    ).toBe(false);
  });

  it("gives each stream only the event types it gets", () => {
    const built = sets(decision, {
      ...target,
      eventsDelivered: [EventType.accountDisabled],
    });
    expect(built.map((claims) => Object.keys(claims.events)[0])).toEqual([
      EventType.accountDisabled,
    ]);
  });

  it("names the subject as the stream asks (RFC 9493), the tenant always in it", () => {
    const issSub = {
      format: "iss_sub",
      iss: "https://agents.example/acme",
      sub: "agent:x/1",
    };
    const subjectOf = (format: SubjectFormat, singleTenant = true) =>
      sets(decision, { ...target, subjectFormat: format, singleTenant })[0]
        ?.sub_id;
    expect(subjectOf("iss_sub")).toEqual(issSub);
    expect(subjectOf("auto")).toEqual(issSub);
    expect(subjectOf("complex")).toEqual({
      format: "complex",
      user: issSub,
      tenant: { format: "opaque", id: "acme" },
    });
    expect(subjectOf("opaque")).toEqual({ format: "opaque", id: "agent:x/1" });
    // An all-tenant stream never gets a subject that leaves the tenant out.
    expect(subjectOf("opaque", false)).toEqual(issSub);
    const bot = { ...decision, agent_id: "bot@acme.example" };
    expect(sets(bot, { ...target, subjectFormat: "auto" })[0]?.sub_id).toEqual({
      format: "email",
      email: "bot@acme.example",
    });
    expect(
      sets(bot, { ...target, subjectFormat: "auto", singleTenant: false })[0]
        ?.sub_id,
    ).toMatchObject({ format: "iss_sub", sub: "bot@acme.example" });
    // Two tenants' agents of one id are two subjects.
    const twin = sets(
      { ...decision, tenant: "globex" },
      { ...target, subjectFormat: "auto", singleTenant: false },
    )[0]?.sub_id;
    expect(twin).not.toEqual(subjectOf("auto", false));
  });

  it("puts the subject inside each event for an Okta-compatible stream", () => {
    const built = sets(decision, {
      ...target,
      subjectFormat: "auto",
      compatibility: "okta",
    });
    for (const claims of built) {
      const [, payload] = eventOf(claims);
      expect(payload["subject"]).toEqual({ user: claims.sub_id });
    }
    const complex = sets(decision, {
      ...target,
      subjectFormat: "complex",
      compatibility: "okta",
    })[0]!;
    expect(eventOf(complex)[1]["subject"]).toEqual({
      user: expect.objectContaining({ format: "iss_sub" }) as unknown,
      tenant: { format: "opaque", id: "acme" },
    });
  });
});

describe("buildActionSets for step_up and reinstate", () => {
  it("sends assurance-level-change or token-claims-change as configured", () => {
    const stepUp = { ...decision, action: "step_up" as const };
    const [assurance] = sets(stepUp);
    expect(eventOf(assurance!)).toEqual([
      EventType.assuranceLevelChange,
      expect.objectContaining({
        namespace: "NIST-AAL",
        current_level: "nist-aal1",
        change_direction: "decrease",
      }),
    ]);
    const [claimsChange] = sets(stepUp, target, {
      ...options,
      stepUpEvent: StepUpEvent.tokenClaimsChange,
    });
    expect(eventOf(claimsChange!)).toEqual([
      EventType.tokenClaimsChange,
      expect.objectContaining({
        claims: { warden_step_up_required: true, warden_risk: 0.97 },
      }),
    ]);
  });

  it("sends only risk-level-change for alert, its level following the risk (LOW = recovered)", () => {
    const level = (risk: number) =>
      sets({ ...decision, action: "alert", risk }).map((claims) => {
        const [type, payload] = eventOf(claims);
        return [type, payload["current_level"]];
      });
    expect(level(0.9)).toEqual([[EventType.riskLevelChange, "HIGH"]]);
    expect(level(0.5)).toEqual([[EventType.riskLevelChange, "MEDIUM"]]);
    expect(level(0.1)).toEqual([[EventType.riskLevelChange, "LOW"]]);
  });

  it("names the level reported before in previous_level, only when there was one", () => {
    const alert = actionFromDecision(
      { ...decision, action: "alert", risk: 0.9 },
      options.nowSeconds,
    );
    const payloadOf = (previousRiskLevel?: "LOW" | "MEDIUM") =>
      eventOf(
        buildActionSets(
          { ...alert, previousRiskLevel },
          target,
          options,
        )[0] ?? { events: {} },
      )[1];
    expect(payloadOf("MEDIUM")).toMatchObject({
      current_level: "HIGH",
      previous_level: "MEDIUM",
    });
    expect(payloadOf()).not.toHaveProperty("previous_level");
  });

  it("sends RISC account-enabled on reinstatement, initiated by an admin", () => {
    const action = manualAction({
      kind: "reinstate",
      id: "manual-1",
      tenant: "acme",
      agentId: "agent:x/1",
      reason: "false positive",
      nowSeconds: 1_800_000_100,
    });
    const built = buildActionSets(action, target, options);
    expect(built).toHaveLength(2);
    expect(eventOf(built[1]!)).toEqual([
      EventType.riskLevelChange,
      expect.objectContaining({ current_level: "LOW" }),
    ]);
    expect(built[0]).toMatchObject({
      txn: "manual-1",
      toe: 1_800_000_100,
      events: { [EventType.accountEnabled]: {} },
    });
  });
});

describe("SET invariants (property-based)", () => {
  const decisions = fc.record({
    decision_id: fc.string({ minLength: 1 }),
    agent_id: fc.string({ minLength: 1 }),
    tenant: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    action: fc.constantFrom("revoke" as const, "step_up" as const),
    at: fc
      .integer({ min: 0, max: 4_000_000_000_000 })
      .map((ms) => new Date(ms).toISOString()),
    credential_ids: fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }),
  });

  it("one event per SET, txn = decision id, seconds timestamps, no sub or exp, distinct jtis", () => {
    fc.assert(
      fc.property(
        decisions,
        fc.constantFrom(...SUBJECT_FORMATS),
        (partial, subjectFormat) => {
          const built = sets(
            { ...decision, ...partial },
            { ...target, subjectFormat },
          );
          expect(built.length).toBeGreaterThan(0);
          for (const claims of built) {
            expect(Object.keys(claims.events)).toHaveLength(1);
            expect(claims.txn).toBe(partial.decision_id);
            expect(claims.toe).toBe(Math.floor(Date.parse(partial.at) / 1000));
            expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
            expect(claims).not.toHaveProperty("sub");
            expect(claims).not.toHaveProperty("exp");
            const [, payload] = eventOf(claims);
            if ("event_timestamp" in payload)
              expect(payload["event_timestamp"]).toBe(claims.toe);
          }
          expect(new Set(built.map((claims) => claims.jti)).size).toBe(
            built.length,
          );
        },
      ),
    );
  });

  it("jti is stable across rebuilds and differs by decision, stream and event type", () => {
    fc.assert(
      fc.property(
        decisions,
        fc.double({ min: 0, max: 4e9, noNaN: true }),
        (partial, now) => {
          const first = sets({ ...decision, ...partial });
          const again = sets({ ...decision, ...partial }, target, {
            ...options,
            nowSeconds: now,
          });
          expect(again.map((c) => c.jti)).toEqual(first.map((c) => c.jti));
          const otherStream = sets(
            { ...decision, ...partial },
            { ...target, streamId: "s2" },
          );
          for (const [index, claims] of otherStream.entries())
            expect(claims.jti).not.toBe(first[index]?.jti);
        },
      ),
    );
    expect(setJti("a", "s", EventType.sessionRevoked)).not.toBe(
      setJti("a", "s", EventType.accountDisabled),
    );
    expect(setJti("a\u0000b", "s", "t")).not.toBe(setJti("a", "b\u0000s", "t"));
  });
});

describe("buildStreamSet", () => {
  it("makes the stream its subject and echoes the payload", () => {
    const claims = buildStreamSet(
      EventType.verification,
      { state: "xyz" },
      { streamId: "s1", audience: "aud" },
      { issuer: "https://warden.example", nowSeconds: 5.5, causeId: "v1" },
    );
    expect(claims).toEqual({
      iss: "https://warden.example",
      aud: "aud",
      iat: 5,
      jti: setJti("v1", "s1", EventType.verification),
      txn: "v1",
      sub_id: { format: "opaque", id: "s1" },
      events: { [EventType.verification]: { state: "xyz" } },
    });
  });
});
