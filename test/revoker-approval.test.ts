import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually } from "./support/service.js";
import { publishDecision, ssfClient, until } from "./support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

interface Pending {
  decision_id: string;
  agent_id: string;
}

// Revocations of agents marked for approval wait for a person, or for the timeout's default.
describe("revoker human approval", () => {
  const names = uniqueNames("approval");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let soc: ReturnType<typeof ssfClient>;
  const delivered = (decisionId: string) =>
    receiver.accepted.some((set) => decodeJwt(set.jwt)["txn"] === decisionId);
  const pending = async () =>
    (await soc("GET", "/admin/approvals")).body as Pending[];

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "approval-test",
    });
    receiver = await startPushReceiver();
    revoker = await startRevoker(names, {
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_APPROVAL_AGENTS: "acme/prod-*",
      REVOKER_APPROVAL_TIMEOUT: "4s",
      REVOKER_APPROVAL_DEFAULT: "revoke",
    });
    soc = ssfClient(revoker.base, "soc-token");
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("holds a matching revoke until approved; other agents go at once", async () => {
    const held = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-a1`,
      "prod-1",
    );
    const free = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-a2`,
      "dev-1",
    );
    await until("the unmatched agent's SET", () => delivered(free.decision_id));
    const waiting = await eventually("the held decision listed", async () => {
      const list = await pending();
      return list.some((item) => item.decision_id === held.decision_id)
        ? list
        : undefined;
    });
    expect(
      waiting.find((item) => item.decision_id === held.decision_id)?.agent_id,
    ).toBe("prod-1");
    expect(delivered(held.decision_id)).toBe(false);
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    expect(await kv.get("acme.prod-1")).toBeNull();

    const approved = await soc(
      "POST",
      `/admin/approvals/${held.decision_id}/approve`,
    );
    expect(approved.status).toBe(200);
    await until("the approved SET", () => delivered(held.decision_id));
    expect((await kv.get("acme.prod-1"))?.operation).toBe("PUT");
    expect(
      (await soc("POST", `/admin/approvals/${held.decision_id}/approve`))
        .status,
    ).toBe(404);
  });

  it("drops a denied revoke", async () => {
    const denied = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-a3`,
      "prod-2",
    );
    await eventually("the decision listed", async () =>
      (await pending()).some((item) => item.decision_id === denied.decision_id)
        ? true
        : undefined,
    );
    expect(
      (await soc("POST", `/admin/approvals/${denied.decision_id}/deny`)).status,
    ).toBe(200);
    expect(
      (await pending()).some((item) => item.decision_id === denied.decision_id),
    ).toBe(false);
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    expect(await kv.get("acme.prod-2")).toBeNull();
    expect(delivered(denied.decision_id)).toBe(false);
  });

  it("applies the default (revoke) when nobody answers before the timeout", async () => {
    const late = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-a4`,
      "prod-3",
    );
    await until(
      "the default applied",
      () => delivered(late.decision_id),
      30_000,
    );
    // The entry is removed right after the revoke is queued.
    await eventually("the entry removed", async () =>
      (await pending()).some((item) => item.decision_id === late.decision_id)
        ? undefined
        : true,
    );
  });
});
