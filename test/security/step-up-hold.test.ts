import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { Registry } from "prom-client";
import { connectNats } from "@warden/shared";
import { createEnforcer, type Enforcer } from "@warden/gateway-sdk";
import { eventually } from "../support/service.js";
import { publishDecision, ssfClient, until } from "../support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "../support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import {
  natsConfig,
  quietLogger,
  testLogger,
  uniqueNames,
} from "../support/stack.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const EXPORT = { verb: "export", sensitivity: "confidential" } as const;
const READ = { verb: "read", sensitivity: "internal" } as const;
const PAY = { verb: "write", counterparty: "iban:de89370400440532013000" };
const RESTRICTED_READ = { verb: "read", sensitivity: "restricted" } as const;

// Issue 15 item 5: a step-up holds the agent's sensitive calls at the gateway until its owner
// approves; no answer in the policy's time escalates to revoke. The real revoker, NATS, the
// SDK enforcer (verifying the revoker's signatures) and an RFC 8935 push receiver.
describe("step-up holds sensitive calls until the owner approves", () => {
  const names = uniqueNames("sec-hold");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let enforcer: Enforcer;
  let soc: ReturnType<typeof ssfClient>;
  const registry = new Registry();
  const setsOf = (decisionId: string) =>
    receiver.accepted.filter((set) => decodeJwt(set.jwt)["txn"] === decisionId);
  const eventsOf = (decisionId: string) =>
    setsOf(decisionId).map((set) => set.eventType);

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-hold-test",
    });
    receiver = await startPushReceiver();
    revoker = await startRevoker(names, {
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "owner-desk",
          token_sha256: sha256Hex("owner-token"),
          tenant: "acme",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_PUSH_EVENTS:
        "session-revoked,assurance-level-change,risk-level-change",
      REVOKER_HOLD_TIMEOUT: "8s",
      REVOKER_HOLD_ACTIONS:
        "export,delete,admin,delegate,send_external,restricted",
    });
    soc = ssfClient(revoker.base, "owner-token");
    enforcer = createEnforcer({
      servers: [...natsConfig.servers],
      namespace: revoker.namespace,
      tenant: "acme",
      keys: { jwksUrl: `${revoker.base}/jwks.json` },
      registry,
      logger: quietLogger,
    });
    await enforcer.start();
  });
  afterAll(async () => {
    await enforcer?.stop();
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("holds export, payment and restricted data, lets reads through, releases on approval", async () => {
    const agent = "invoice-bot";
    const stepUp = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-hold-1`,
      agent,
      { action: "step_up", risk: 0.9 },
    );
    await until(
      "the hold at the gateway",
      () => !enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    const refused = enforcer.mayAct(agent, undefined, undefined, EXPORT);
    expect(refused).toMatchObject({
      allowed: false,
      held: ["export"],
      revocation: {
        reason:
          "Sensitive actions are held until the agent's owner approves them.",
      },
    });
    expect(refused.allowed ? [] : refused.revocation.hold?.actions).toEqual([
      "export",
      "delete",
      "admin",
      "delegate",
      "send_external",
      "restricted",
    ]);
    expect(enforcer.mayAct(agent, undefined, undefined, PAY)).toMatchObject({
      allowed: false,
      held: ["send_external"],
    });
    expect(
      enforcer.mayAct(agent, undefined, undefined, RESTRICTED_READ),
    ).toMatchObject({ allowed: false, held: ["restricted"] });
    // An ordinary call goes on; a call the gateway did not describe might be sensitive.
    expect(enforcer.mayAct(agent, undefined, undefined, READ).allowed).toBe(
      true,
    );
    expect(enforcer.mayAct(agent).allowed).toBe(false);
    // Other agents are untouched.
    expect(
      enforcer.mayAct("other-bot", undefined, undefined, EXPORT).allowed,
    ).toBe(true);

    // The owner sees it pending, with what is held and what the timeout does.
    const listed = (await soc("GET", "/admin/approvals")).body as {
      decision_id: string;
      kind: string;
      on_timeout: string;
      held: string[];
    }[];
    const entry = listed.find(
      (item) => item.decision_id === stepUp.decision_id,
    );
    expect(entry).toMatchObject({ kind: "step_up", on_timeout: "revoke" });
    expect(entry?.held).toContain("send_external");

    expect(
      (
        await soc("POST", `/admin/approvals/${stepUp.decision_id}/approve`, {
          reason: "month-end export, expected",
        })
      ).status,
    ).toBe(200);
    await until(
      "the hold released",
      () => enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    // Released for good: a re-read of the bucket agrees, and no revoke follows the deadline.
    await enforcer.resync();
    expect(enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed).toBe(
      true,
    );
    // The receiver heard the step-up (CAEP assurance-level-change, decrease) and its release.
    await until("the step-up SET", () =>
      eventsOf(stepUp.decision_id).includes(`${CAEP}/assurance-level-change`),
    );
    const assurance = setsOf(stepUp.decision_id).find(
      (set) => set.eventType === `${CAEP}/assurance-level-change`,
    );
    expect(
      (
        decodeJwt(assurance?.jwt ?? "")["events"] as Record<
          string,
          Record<string, unknown>
        >
      )[`${CAEP}/assurance-level-change`]?.["change_direction"],
    ).toBe("decrease");
    await until("the release's risk-level-change", () =>
      setsOf(stepUp.decision_id).some(
        (set) =>
          set.eventType === `${CAEP}/risk-level-change` &&
          (
            decodeJwt(set.jwt)["events"] as Record<
              string,
              Record<string, unknown>
            >
          )[`${CAEP}/risk-level-change`]?.["current_level"] === "LOW",
      ),
    );
    expect(eventsOf(stepUp.decision_id)).not.toContain(
      `${CAEP}/session-revoked`,
    );
  });

  it("escalates to revoke when the owner does not answer in the policy's time", async () => {
    const agent = "report-bot";
    const stepUp = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-hold-2`,
      agent,
      { action: "step_up", risk: 0.9 },
    );
    await until(
      "the hold at the gateway",
      () => !enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    expect(enforcer.mayAct(agent, undefined, undefined, READ).allowed).toBe(
      true,
    );
    // REVOKER_HOLD_TIMEOUT is 8 s: then every call is refused, with the revoke's reason.
    await until(
      "the escalation",
      () => !enforcer.mayAct(agent, undefined, undefined, READ).allowed,
      60_000,
    );
    expect(enforcer.mayAct(agent, undefined, undefined, READ)).toMatchObject({
      allowed: false,
      revocation: { reason: "Access was suspended by the security policy." },
    });
    await until("the revoke's SETs", () =>
      eventsOf(stepUp.decision_id).includes(`${CAEP}/session-revoked`),
    );
    await eventually("the step-up no longer pending", async () =>
      (
        (await soc("GET", "/admin/approvals")).body as { decision_id: string }[]
      ).some((item) => item.decision_id === stepUp.decision_id)
        ? undefined
        : true,
    );
    // Too late to approve: the revoke stands.
    expect(
      (await soc("POST", `/admin/approvals/${stepUp.decision_id}/approve`))
        .status,
    ).toBe(404);
  });

  it("never downgrades a revoke to a hold, and an approval never lifts a revoke", async () => {
    const agent = "ops-bot";
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-rev-3`,
      agent,
    );
    await until(
      "the revoke",
      () => !enforcer.mayAct(agent, undefined, undefined, READ).allowed,
    );
    const stepUp = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-hold-3`,
      agent,
      { action: "step_up", risk: 0.9 },
    );
    await eventually("the step-up pending", async () =>
      (
        (await soc("GET", "/admin/approvals")).body as { decision_id: string }[]
      ).some((item) => item.decision_id === stepUp.decision_id)
        ? true
        : undefined,
    );
    expect(
      (await soc("POST", `/admin/approvals/${stepUp.decision_id}/approve`))
        .status,
    ).toBe(200);
    await enforcer.resync();
    expect(enforcer.mayAct(agent, undefined, undefined, READ).allowed).toBe(
      false,
    );
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    const entry = await kv.get(`acme.${agent}`);
    expect(JSON.parse(entry?.string() ?? "{}")).toMatchObject({
      action: "revoke",
    });
  });
});
