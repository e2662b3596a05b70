import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { Registry } from "prom-client";
import {
  connectNats,
  encodeKillSwitchMessage,
  type KillSwitchMessage,
} from "@warden/shared";
import { createEnforcer, type Enforcer } from "@warden/gateway-sdk";
import { eventually } from "../support/service.js";
import { ssfClient } from "../support/ssf-client.js";
import { createKillSwitchSigner } from "../support/kill-switch-signer.js";
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

const until = (condition: () => boolean) => (): Promise<true | undefined> =>
  Promise.resolve(condition() ? true : undefined);

// Issue 16, High 3: anyone on NATS forging a reinstate (far-future issued_at) kept a revoked
// agent working. Against the real revoker's signed kill switch and the SDK enforcer.
describe("forged kill-switch messages on NATS move no revocation", () => {
  const names = uniqueNames("sec-killswitch");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let enforcer: Enforcer;
  const registry = new Registry();
  let soc: ReturnType<typeof ssfClient>;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-killswitch-test",
    });
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
    });
    soc = ssfClient(revoker.base, "soc-token");
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
    if (revoker) removeKeyDir(revoker);
  });

  it("ignores unsigned, foreign-signed and replayed reinstates; honours the revoker's own", async () => {
    const target = "alice@acme.example";
    // A genuine, signed reinstate of another agent, captured off the wire to replay.
    const captured: Uint8Array[] = [];
    const tap = connection.subscribe(
      names.killSwitchSubject("acme", "bob@acme.example"),
      { callback: (_error, message) => captured.push(message.data) },
    );
    for (const [path, agent] of [
      ["/admin/revoke", "bob@acme.example"],
      ["/admin/reinstate", "bob@acme.example"],
      ["/admin/revoke", target],
    ] as const)
      expect(
        (
          await soc("POST", path, {
            tenant: "acme",
            agent_id: agent,
            reason: "SOC: exfiltration to 203.0.113.9",
          })
        ).status,
      ).toBe(202);
    await eventually(
      "the revocation at the gateway",
      until(() => !enforcer.mayAct(target).allowed),
    );
    await eventually(
      "the captured reinstate",
      until(() => captured.length >= 2),
    );
    tap.unsubscribe();
    // The caller is told the user-facing reason, not the SOC's wording.
    expect(enforcer.mayAct(target)).toMatchObject({
      revocation: { reason: "Access was suspended by the security policy." },
    });

    const reinstate: KillSwitchMessage = {
      version: 1,
      action: "reinstate",
      tenant: "acme",
      agent_id: target,
      credential_ids: [],
      decision_id: "forged",
      reason: "x",
      issued_at: "2099-01-01T00:00:00.000Z",
      expires_at: null,
    };
    const subject = names.killSwitchSubject("acme", target);
    const attacker = await createKillSwitchSigner("revoker-key-1");
    // 1. Unsigned (today's format), dated 2099.
    connection.publish(
      subject,
      new TextEncoder().encode(JSON.stringify(reinstate)),
    );
    // 2. Signed, but by a key that is not the revoker's.
    connection.publish(subject, await attacker.encode(reinstate));
    // 3. A genuine revoker-signed reinstate of bob, replayed on alice's subject.
    connection.publish(subject, captured[1] ?? new Uint8Array());
    // 4. A genuine signature with an edited readable copy.
    const genuine = JSON.parse(
      new TextDecoder().decode(captured[1] ?? new Uint8Array()),
    ) as KillSwitchMessage & { jws: string };
    connection.publish(
      subject,
      encodeKillSwitchMessage({ ...genuine, agent_id: target }, genuine.jws),
    );
    await connection.flush();
    await eventually("four forgeries counted", async () => {
      const metric = await registry
        .getSingleMetric("warden_gateway_kill_switch_invalid_total")
        ?.get();
      return (metric?.values[0]?.value ?? 0) >= 4 ? true : undefined;
    });
    // Zero lost revocations: still refused, live and after a re-read of the bucket.
    expect(enforcer.mayAct(target).allowed).toBe(false);
    await enforcer.resync();
    expect(enforcer.mayAct(target).allowed).toBe(false);
    expect(enforcer.mayAct("bob@acme.example").allowed).toBe(true);

    expect(
      (
        await soc("POST", "/admin/reinstate", {
          tenant: "acme",
          agent_id: target,
          reason: "false positive",
        })
      ).status,
    ).toBe(202);
    await eventually(
      "the revoker's own reinstate",
      until(() => enforcer.mayAct(target).allowed),
    );
  });
});
