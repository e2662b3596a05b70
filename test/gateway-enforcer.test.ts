import {
  createServer,
  connect as tcpConnect,
  type Server,
  type Socket,
} from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { Registry } from "prom-client";
import type { KillSwitchMessage } from "@warden/shared/kill-switch";
import { subjectToken } from "@warden/shared/names";
import { createEnforcer, type Enforcer } from "@warden/gateway-sdk";
import { natsConfig, quietLogger, uniqueNames } from "./support/stack.js";
import { eventually } from "./support/service.js";
import { createKillSwitchSigner } from "./support/kill-switch-signer.js";

/** A probe for `eventually` from a synchronous condition. */
const until = (condition: () => boolean) => (): Promise<true | undefined> =>
  Promise.resolve(condition() ? true : undefined);

/** A TCP relay to NATS that the test can cut, so the enforcer sees a real disconnect and reconnect. */
async function startRelay(target: URL): Promise<{
  port: number;
  cut(): void;
  resume(): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    /** Drops every connection and refuses new ones until resume(). */
    cut: () => {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    resume: () => {
      refusing = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("the gateway enforcer over real NATS", () => {
  const names = uniqueNames("gw-enforcer");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/u, "");
  const cleanups: (() => Promise<unknown>)[] = [];
  const signer = createKillSwitchSigner();
  afterAll(async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch(() => undefined);
  });

  function killSwitch(
    overrides: Partial<KillSwitchMessage> & { agent_id: string },
  ): KillSwitchMessage {
    return {
      version: 1,
      action: "revoke",
      tenant: "acme",
      credential_ids: [],
      decision_id: `decision-${overrides.agent_id}`,
      reason: `burst by ${overrides.agent_id}`,
      issued_at: new Date().toISOString(),
      expires_at: null,
      ...overrides,
    };
  }

  // Exactly what the revoker does per the contract: a KV put (or delete) and a core NATS publish.
  async function publish(
    nats: NatsConnection,
    message: KillSwitchMessage,
    alsoLive = true,
  ): Promise<void> {
    const kv = await nats
      .jetstream()
      .views.kv(names.revokedAgentsBucket, { history: 1 });
    const key = `${subjectToken(message.tenant)}.${subjectToken(message.agent_id)}`;
    const bytes = await (await signer).encode(message);
    if (message.action === "revoke") await kv.put(key, bytes);
    else await kv.delete(key);
    if (alsoLive)
      nats.publish(
        names.killSwitchSubject(message.tenant, message.agent_id),
        bytes,
      );
  }

  it("re-syncs on start, applies live messages, and catches up after a reconnect", async () => {
    const nats = await connect({ servers: [...natsConfig.servers] });
    cleanups.push(async () => {
      await (
        await nats.jetstreamManager()
      ).streams.delete(`KV_${names.revokedAgentsBucket}`);
      await nats.drain();
    });
    // Revoked before the gateway started: only the bucket can tell it.
    await publish(
      nats,
      killSwitch({ agent_id: "agent-early-1", credential_ids: ["key-early"] }),
    );

    const relay = await startRelay(
      new URL(natsConfig.servers[0] ?? "nats://127.0.0.1:4222"),
    );
    cleanups.push(() => relay.close());
    const registry = new Registry();
    const enforcer: Enforcer = createEnforcer({
      servers: `nats://127.0.0.1:${relay.port}`,
      natsOptions: { reconnectTimeWait: 100 },
      namespace,
      tenant: "acme",
      keys: { jwks: (await signer).jwks },
      registry,
      logger: quietLogger,
    });
    cleanups.push(() => enforcer.stop());
    await enforcer.start();
    expect(enforcer.isSynced()).toBe(true);

    expect(enforcer.mayAct("agent-early-1")).toMatchObject({
      allowed: false,
      matched: "agent",
      revocation: {
        reason: "burst by agent-early-1",
        decisionId: "decision-agent-early-1",
      },
    });
    expect(enforcer.mayAct("agent:other", "key-early")).toMatchObject({
      allowed: false,
      matched: "credential",
    });
    expect(enforcer.mayAct("agent-early-1", undefined, "globex")).toEqual({
      allowed: true,
    });
    expect(enforcer.mayAct("agent-live-2")).toEqual({ allowed: true });

    await publish(nats, killSwitch({ agent_id: "agent-live-2" }));
    await eventually(
      "the live revocation",
      until(() => !enforcer.mayAct("agent-live-2").allowed),
    );
    // Ids NATS KV cannot hold as keys (':' here) still arrive on the subject, percent-encoded.
    const colon = killSwitch({ agent_id: "agent:colon/4.x" });
    nats.publish(
      names.killSwitchSubject("acme", colon.agent_id),
      await (await signer).encode(colon),
    );
    await eventually(
      "the revocation of an id with ':' and '.'",
      until(() => !enforcer.mayAct("agent:colon/4.x").allowed),
    );

    await publish(
      nats,
      killSwitch({ agent_id: "agent-early-1", action: "reinstate" }),
    );
    await eventually(
      "the reinstatement",
      until(() => enforcer.mayAct("agent-early-1").allowed),
    );
    expect(enforcer.mayAct("agent:other", "key-early")).toEqual({
      allowed: true,
    });

    // A message breaking the contract (the walking skeleton's old shape) changes nothing and is counted.
    nats.publish(
      names.killSwitchSubject("acme", "agent-live-2"),
      new TextEncoder().encode(
        JSON.stringify({
          agent_id: "agent-live-2",
          tenant: "acme",
          reason: "x",
        }),
      ),
    );
    await eventually("the invalid message to be counted", async () => {
      const metric = await registry
        .getSingleMetric("warden_gateway_kill_switch_invalid_total")
        ?.get();
      return (metric?.values[0]?.value ?? 0) >= 1 ? true : undefined;
    });
    expect(enforcer.mayAct("agent-live-2").allowed).toBe(false);

    // Cut the connection; while the gateway is away, an agent is revoked and another reinstated.
    relay.cut();
    await eventually(
      "the enforcer to notice the disconnect",
      until(() => !enforcer.isSynced()),
    );
    await publish(
      nats,
      killSwitch({ agent_id: "agent-missed-3", reason: "revoked while away" }),
    );
    await publish(
      nats,
      killSwitch({ agent_id: "agent-live-2", action: "reinstate" }),
    );
    relay.resume();
    await eventually(
      "the re-sync after reconnecting",
      until(
        () => enforcer.isSynced() && !enforcer.mayAct("agent-missed-3").allowed,
      ),
    );
    expect(enforcer.mayAct("agent-missed-3")).toMatchObject({
      revocation: { reason: "revoked while away" },
    });
    expect(enforcer.mayAct("agent-live-2")).toEqual({ allowed: true });
    // The bucket is the state: the colon id, only ever heard on the subject, is gone after the re-sync.
    expect(enforcer.revocations().map((r) => r.agentId)).toEqual([
      "agent-missed-3",
    ]);
  });

  it("starts with nothing revoked when Warden has not created the bucket yet", async () => {
    const fresh = uniqueNames("gw-enforcer-empty");
    const enforcer = createEnforcer({
      servers: [...natsConfig.servers],
      namespace: fresh.groups.ingest.replace(/-warden-ingest$/u, ""),
      keys: { jwks: (await signer).jwks },
      logger: quietLogger,
    });
    await enforcer.start();
    expect(enforcer.isSynced()).toBe(true);
    expect(enforcer.mayAct("anyone")).toEqual({ allowed: true });
    await enforcer.stop();
  });
});
