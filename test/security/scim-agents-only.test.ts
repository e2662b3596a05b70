import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually, freePort } from "../support/service.js";
import { metricValue, publishDecision } from "../support/ssf-client.js";
import { startScimServer } from "../support/ssf-peers.js";
import {
  cleanUpNats,
  removeKeyDir,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "../support/stack.js";

// Issue 16, High 1: the SCIM connector disabled whatever account had the agent's userName,
// human or not. Against the revoker and a real SCIM server (SCIMMY).
describe("the SCIM connector acts on agent accounts only", () => {
  const names = uniqueNames("sec-scim");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let scim: Awaited<ReturnType<typeof startScimServer>>;
  let ops: string;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-scim-test",
    });
    scim = await startScimServer("scim-token");
    // A person whose userName an attacker named as an agent id, and a real agent account.
    scim.users.set("h1", {
      id: "h1",
      userName: "alice@acme.example",
      userType: "employee",
      active: true,
    });
    scim.users.set("a1", {
      id: "a1",
      userName: "report-bot",
      userType: "agent",
      active: true,
    });
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_CONNECTORS: JSON.stringify([
        {
          id: "dir",
          type: "scim",
          tenant: "acme",
          base_url: scim.url,
          token: "scim-token",
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
    await scim?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("leaves the human alone and deactivates the agent", async () => {
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-human`,
      "alice@acme.example",
    );
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-agent`,
      "report-bot",
    );
    await eventually("the agent account deactivated", () =>
      Promise.resolve(
        scim.users.get("a1")?.active === false ? true : undefined,
      ),
    );
    await eventually("the human's job refused", async () =>
      (await metricValue(
        ops,
        'warden_revoker_connector_calls_total{connector="dir",outcome="failed",service="revoker"}',
      )) === 1
        ? true
        : undefined,
    );
    expect(scim.users.get("h1")?.active).toBe(true);
  });
});
