import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually } from "./support/service.js";
import { publishDecision, ssfClient, until } from "./support/ssf-client.js";
import {
  startOidcProvider,
  startScimServer,
  startWebhookReceiver,
} from "./support/ssf-peers.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

// Each connector against a real peer that is not ours: RFC 7009 at panva/oidc-provider, SCIM
// PATCH at a SCIMMY server, and a webhook receiver that checks the HMAC signature.
describe("revoker connectors against real peers", () => {
  const names = uniqueNames("connectors");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let op: Awaited<ReturnType<typeof startOidcProvider>>;
  let scim: Awaited<ReturnType<typeof startScimServer>>;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "connectors-test",
    });
    op = await startOidcProvider({
      id: "agent-app",
      secret: "agent-app-secret",
    });
    scim = await startScimServer("scim-token");
    scim.users.set("u1", {
      id: "u1",
      userName: "agent-c",
      userType: "agent",
      active: true,
    });
    scim.users.set("u2", { id: "u2", userName: "bystander", active: true });
    webhook = await startWebhookReceiver("hook-secret");
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_CONNECTORS: JSON.stringify([
        {
          id: "op",
          type: "oauth_revocation",
          tenant: "acme",
          endpoint: `${op.url}/token/revocation`,
          client_id: "agent-app",
          client_secret: "agent-app-secret",
          // The test's gateways report the opaque token itself as credential.id.
          credential_ids_are_tokens: true,
        },
        {
          id: "dir",
          type: "scim",
          tenant: "acme",
          base_url: scim.url,
          token: "scim-token",
        },
        {
          id: "hook",
          type: "webhook",
          tenant: "acme",
          url: webhook.url,
          secret: "hook-secret",
        },
      ]),
      REVOKER_RETRY_INITIAL: "100ms",
      REVOKER_RETRY_MAX: "500ms",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await Promise.all([op?.close(), scim?.close(), webhook?.close()]);
    if (revoker) removeKeyDir(revoker);
  });

  it("revokes the agent's OAuth token, deactivates its SCIM account and calls the signed webhook", async () => {
    const token = await op.issueToken();
    expect(await op.isActive(token)).toBe(true);
    const decision = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-k1`,
      "agent-c",
      {
        credential_ids: [token],
      },
    );
    await eventually("the token revoked at the OpenID Provider", async () =>
      (await op.isActive(token)) ? undefined : true,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${revoker.service.output()}`);
    });
    await until(
      "the SCIM account deactivated",
      () => scim.users.get("u1")?.active === false,
    );
    await until("the webhook called", () => webhook.verified.length >= 1);
    expect(webhook.verified[0]).toMatchObject({
      txn: decision.decision_id,
      action: "revoke",
      tenant: "acme",
      agent_id: "agent-c",
      credential_ids: [token],
    });
    expect(webhook.rejected).toBe(0);
    expect(scim.users.get("u2")?.active).toBe(true);
    const output = revoker.service.output();
    for (const secret of [
      "agent-app-secret",
      "scim-token",
      "hook-secret",
      token,
    ])
      expect(output).not.toContain(secret);
  });

  it("reactivates the SCIM account and tells the webhook on reinstatement", async () => {
    const soc = ssfClient(revoker.base, "soc-token");
    const answer = await soc("POST", "/admin/reinstate", {
      tenant: "acme",
      agent_id: "agent-c",
      reason: "false positive",
    });
    expect(answer.status).toBe(202);
    await until(
      "the SCIM account active again",
      () => scim.users.get("u1")?.active === true,
    );
    await until("the reinstate webhook", () =>
      webhook.verified.some((body) => body["action"] === "reinstate"),
    );
  });
});
