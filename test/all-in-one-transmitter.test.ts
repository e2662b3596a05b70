import { createLocalJWKSet, jwtVerify } from "jose";
import { createLogger, createRegistry, type DecisionV1 } from "@warden/shared";
import { afterEach, describe, expect, it } from "vitest";
import { openAllInOneKeys } from "../cli/src/all-in-one-keys.js";
import {
  createTransmitter,
  type DeliveryReport,
  type Transmitter,
} from "../cli/src/all-in-one-transmitter.js";
import { eventually } from "./support/service.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
const ISSUER = "http://warden.test";

function decision(overrides: Partial<DecisionV1> = {}): DecisionV1 {
  return {
    schema: "agent-decision/v1",
    decision_id: `dec-${Math.random().toString(36).slice(2)}`,
    tenant: "acme",
    agent_id: "agent:ci-agent/3",
    action: "revoke",
    risk: 1,
    at: "2026-11-23T13:00:00Z",
    credential_ids: ["svid-1"],
    reasons: [{ detector: "burst", score: 1, summary: "140 calls in 10 s" }],
    ...overrides,
  };
}

// The all-in-one's in-process transmitter against a real HTTP push receiver on loopback.
describe("the all-in-one's SSF transmitter", () => {
  const open: { transmitter: Transmitter; receiver: PushReceiver }[] = [];
  afterEach(async () => {
    for (const { transmitter, receiver } of open.splice(0)) {
      await transmitter.stop();
      await receiver.close();
    }
  });

  async function setUp(events: readonly string[]) {
    const receiver = await startPushReceiver();
    const reports: DeliveryReport[] = [];
    const keys = await openAllInOneKeys({ file: undefined, alg: "ES256" });
    const registry = createRegistry("test");
    const transmitter = createTransmitter({
      issuer: () => ISSUER,
      keys,
      pushTimeoutMs: 5_000,
      registry,
      logger: createLogger({ level: "silent", service: "test" }),
      onDelivery: (report) => reports.push(report),
    });
    transmitter.addStream({
      id: "idp",
      url: receiver.url,
      audience: "idp-audience",
      authorization: "Bearer t0ken",
      events,
    });
    open.push({ transmitter, receiver });
    return { receiver, reports, transmitter, registry };
  }

  it("signs the revoker's SETs for a revoke, verifiable with its JWKS, and sets the kill switch", async () => {
    const { receiver, transmitter, registry } = await setUp([
      `${CAEP}/session-revoked`,
      `${CAEP}/credential-change`,
      `${RISC}/account-disabled`,
    ]);
    const revoke = decision();
    transmitter.send(revoke);
    await transmitter.settled();
    expect(receiver.accepted).toHaveLength(3);
    const jwks = createLocalJWKSet({ keys: [...transmitter.jwks().keys] });
    for (const set of receiver.accepted) {
      expect(set.authorization).toBe("Bearer t0ken");
      const { payload, protectedHeader } = await jwtVerify(set.jwt, jwks, {
        issuer: ISSUER,
        audience: "idp-audience",
        typ: "secevent+jwt",
      });
      expect(protectedHeader.alg).toBe("ES256");
      expect(payload).toMatchObject({
        txn: revoke.decision_id,
        sub_id: {
          format: "iss_sub",
          iss: `${ISSUER}/tenants/acme`,
          sub: "agent:ci-agent/3",
        },
      });
    }
    expect(transmitter.revoked()).toEqual([
      expect.objectContaining({
        tenant: "acme",
        agent_id: "agent:ci-agent/3",
        credential_ids: ["svid-1"],
        decision_id: revoke.decision_id,
      }),
    ]);
    expect(await registry.metrics()).toMatch(
      /warden_revoker_sets_issued_total\{event_type="https:\/\/schemas.openid.net\/secevent\/caep\/event-type\/session-revoked"[^}]*\} 1/,
    );
  });

  it("retries a receiver that is down with the same jti, and gives up at once on a refusal", async () => {
    const { receiver, reports, transmitter } = await setUp([
      `${CAEP}/session-revoked`,
    ]);
    receiver.answer = { status: 503 };
    transmitter.send(decision());
    await eventually("two attempts", () =>
      Promise.resolve(receiver.attempts.length >= 2 ? true : undefined),
    );
    receiver.answer = { status: 202 };
    await transmitter.settled();
    expect(new Set(receiver.attempts).size).toBe(1);
    expect(receiver.accepted).toHaveLength(1);
    expect(reports).toEqual([
      expect.objectContaining({
        outcome: "delivered",
        attempts: receiver.attempts.length,
      }),
    ]);

    receiver.answer = {
      status: 400,
      body: JSON.stringify({ err: "invalid_key", description: "no" }),
    };
    const before = receiver.attempts.length;
    transmitter.send(decision());
    await transmitter.settled();
    expect(receiver.attempts.length - before).toBe(1);
    expect(reports[1]).toMatchObject({
      outcome: "refused",
      attempts: 1,
      detail: "400 invalid_key",
    });
    expect(transmitter.counts()).toEqual({
      issued: 2,
      delivered: 1,
      refused: 1,
      failed: 0,
    });
  });

  it("sends only what a stream asked for, and nothing for an alert", async () => {
    const { receiver, transmitter } = await setUp([`${RISC}/account-disabled`]);
    transmitter.send(decision({ action: "alert" }));
    transmitter.send(decision({ action: "step_up" }));
    transmitter.send(decision({ action: "revoke" }));
    await transmitter.settled();
    expect(receiver.accepted.map((set) => set.eventType)).toEqual([
      `${RISC}/account-disabled`,
    ]);
    expect(transmitter.revoked()).toHaveLength(1);
  });
});
