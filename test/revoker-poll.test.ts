import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { connectNats, parseKillSwitchMessage } from "@warden/shared";
import { eventually } from "./support/service.js";
import { publishDecision, ssfClient } from "./support/ssf-client.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
const POLL = "urn:ietf:rfc:8936";

interface PollAnswer {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

// RFC 8936 poll delivery and manual revoke / reinstate, against a revoker process over the real stack.
describe("revoker poll delivery and manual reinstatement", () => {
  const names = uniqueNames("ssfpoll");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let idp: ReturnType<typeof ssfClient>;
  let pollPath = "";

  async function poll(body: object): Promise<PollAnswer> {
    const answer = await idp("POST", pollPath, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as PollAnswer;
  }

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-poll-test",
    });
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "idp",
          token_sha256: sha256Hex("idp-token"),
          tenant: "acme",
          audience: "https://idp.example",
        },
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_POLL_ACK_WAIT: "2s",
      REVOKER_POLL_WAIT: "2s",
    });
    idp = ssfClient(revoker.base, "idp-token");
    const created = await idp("POST", "/ssf/streams", {
      delivery: { method: POLL },
      events_requested: [
        `${CAEP}/session-revoked`,
        `${RISC}/account-disabled`,
        `${RISC}/account-enabled`,
      ],
      subject_format: "complex",
    });
    expect(created.status).toBe(201);
    const endpoint = (created.body as { delivery: { endpoint_url: string } })
      .delivery.endpoint_url;
    pollPath = new URL(endpoint).pathname;
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("returns queued SETs, redelivers what was not acknowledged, and stops after ack", async () => {
    expect(await poll({ returnImmediately: true })).toEqual({
      sets: {},
      moreAvailable: false,
    });
    const decision = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-p1`,
      "agent-p",
    );
    const first = await eventually("two SETs to poll", async () => {
      const answer = await poll({ maxEvents: 10, returnImmediately: false });
      return Object.keys(answer.sets).length > 0 ? answer : undefined;
    });
    // Both SETs of the decision, possibly over two polls.
    const sets = { ...first.sets };
    if (Object.keys(sets).length < 2)
      Object.assign(sets, (await poll({ maxEvents: 10 })).sets);
    expect(Object.keys(sets)).toHaveLength(2);
    for (const [jti, jwt] of Object.entries(sets)) {
      const claims = decodeJwt(jwt);
      expect(claims.jti).toBe(jti);
      expect(claims["txn"]).toBe(decision.decision_id);
      expect(claims["sub_id"]).toEqual({
        format: "complex",
        user: {
          format: "iss_sub",
          iss: `${revoker.base}/tenants/acme`,
          sub: "agent-p",
        },
        tenant: { format: "opaque", id: "acme" },
      });
    }
    const [keep, refuse] = Object.keys(sets);
    // Not acknowledged within REVOKER_POLL_ACK_WAIT: delivered again, same jti.
    const again = await eventually("redelivery", async () => {
      const answer = await poll({ maxEvents: 10, returnImmediately: true });
      return Object.keys(answer.sets).length === 2 ? answer : undefined;
    });
    expect(Object.keys(again.sets).sort()).toEqual(Object.keys(sets).sort());
    const acked = await poll({
      ack: [keep],
      setErrs: {
        [refuse ?? ""]: { err: "invalid_key", description: "unknown kid" },
      },
      maxEvents: 0,
    });
    expect(acked).toEqual({ sets: {}, moreAvailable: false });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await poll({ returnImmediately: true })).toEqual({
      sets: {},
      moreAvailable: false,
    });
  });

  it("says moreAvailable when maxEvents leaves SETs behind", async () => {
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-p2`,
      "agent-q",
    );
    const first = await eventually("SETs of p2", async () => {
      const answer = await poll({ maxEvents: 1, returnImmediately: false });
      return Object.keys(answer.sets).length === 1 ? answer : undefined;
    });
    if (!first.moreAvailable) {
      // The second SET may not be queued yet at the first poll; it must come on the next.
      const next = await eventually("the second SET", async () => {
        const answer = await poll({
          maxEvents: 1,
          returnImmediately: true,
          ack: Object.keys(first.sets),
        });
        return Object.keys(answer.sets).length === 1 ? answer : undefined;
      });
      await poll({ ack: Object.keys(next.sets), maxEvents: 0 });
    } else {
      const rest = await poll({
        maxEvents: 10,
        returnImmediately: true,
        ack: Object.keys(first.sets),
      });
      expect(Object.keys(rest.sets)).toHaveLength(1);
      expect(rest.moreAvailable).toBe(false);
      await poll({ ack: Object.keys(rest.sets), maxEvents: 0 });
    }
  });

  it("refuses polls from other receivers and malformed polls", async () => {
    expect(
      (await ssfClient(revoker.base, "soc-token")("POST", pollPath, {})).status,
    ).toBe(403);
    expect((await idp("POST", pollPath, { maxEvents: -1 })).status).toBe(400);
  });

  it("reinstates an agent: RISC account-enabled and the kill-switch key removed", async () => {
    const soc = ssfClient(revoker.base, "soc-token");
    const revoked = await soc("POST", "/admin/revoke", {
      tenant: "acme",
      agent_id: "agent-r",
      reason: "SOC saw exfiltration",
    });
    expect(revoked.status).toBe(202);
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    const stored = await kv.get("acme.agent-r");
    expect(stored && parseKillSwitchMessage(stored.value)).toMatchObject({
      ok: true,
      message: { action: "revoke" },
    });
    expect(
      (
        await idp("POST", "/admin/reinstate", {
          tenant: "acme",
          agent_id: "agent-r",
          reason: "x",
        })
      ).status,
    ).toBe(403);
    const reinstated = await soc("POST", "/admin/reinstate", {
      tenant: "acme",
      agent_id: "agent-r",
      reason: "false positive",
    });
    expect(reinstated.status).toBe(202);
    const txn = (reinstated.body as { txn: string }).txn;
    expect((await kv.get("acme.agent-r"))?.operation).not.toBe("PUT");
    const types: string[] = [];
    await eventually("account-enabled", async () => {
      const answer = await poll({ maxEvents: 10, returnImmediately: true });
      await poll({ ack: Object.keys(answer.sets), maxEvents: 0 });
      for (const jwt of Object.values(answer.sets)) {
        const claims = decodeJwt(jwt);
        types.push(
          `${Object.keys(claims["events"] as object)[0]} ${String(claims["txn"])}`,
        );
      }
      return types.includes(`${RISC}/account-enabled ${txn}`)
        ? true
        : undefined;
    });
    expect(
      types.some((type) => type.startsWith(`${RISC}/account-disabled manual-`)),
    ).toBe(true);
  });
});
