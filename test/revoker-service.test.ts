import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { NatsConnection, Subscription } from "nats";
import {
  connectNats,
  ensureDecisionsStream,
  type DecisionV1,
} from "@warden/shared";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

interface Received {
  readonly body: string;
  readonly contentType: string | undefined;
}

/** A free port found by binding port 0 and letting it go. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("revoker service over the real NATS", () => {
  const names = uniqueNames("revoker");
  const namespace = names.decisionsConsumer.replace(/-warden-revoker$/, "");
  const keyDir = mkdtempSync(join(tmpdir(), "warden-revoker-"));
  const received: Received[] = [];
  const killSwitches: string[] = [];
  let receiver: Server;
  let receiverUrl: string;
  let jwksPort: number;
  let connection: NatsConnection;
  let killSwitchSub: Subscription;
  let child: ChildProcess;
  let output = "";

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "revoker-test",
    });
    await ensureDecisionsStream(await connection.jetstreamManager(), names);
    killSwitchSub = connection.subscribe(
      names.killSwitchSubject("acme", "agent:x/1"),
      { callback: (_error, message) => killSwitches.push(message.string()) },
    );
    await connection.flush();
    receiver = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        received.push({ body, contentType: request.headers["content-type"] });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) =>
      receiver.listen(0, "127.0.0.1", resolve),
    );
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
    jwksPort = await freePort();
    child = spawn(process.execPath, ["services/revoker/dist/main.js"], {
      env: {
        ...process.env,
        WARDEN_NAMESPACE: namespace,
        WARDEN_OPS_PORT: "0",
        WARDEN_LOG_LEVEL: "info",
        REVOKER_HTTP_PORT: String(jwksPort),
        REVOKER_ISSUER: "https://warden.test",
        REVOKER_SIGNING_KEY_FILE: join(keyDir, "keys", "signing-key.json"),
        REVOKER_PUSH_URL: receiverUrl,
      },
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    killSwitchSub.unsubscribe();
    const manager = await connection.jetstreamManager();
    await manager.streams.delete(names.decisionsStream).catch(() => undefined);
    await connection.drain();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("pushes one signed session-revoked SET, publishes the kill switch and stops cleanly", async () => {
    const decision: DecisionV1 = {
      schema: "agent-decision/v1",
      decision_id: `dec-${namespace}`,
      tenant: "acme",
      agent_id: "agent:x/1",
      action: "revoke",
      risk: 0.99,
      at: new Date().toISOString(),
      reasons: [
        {
          detector: "rate_spike",
          score: 0.99,
          summary: "1,250 calls/min vs baseline p99 40",
        },
      ],
    };
    await connection
      .jetstream()
      .publish(
        names.decisionSubject("acme", "agent:x/1"),
        JSON.stringify(decision),
        { msgID: decision.decision_id },
      );

    await waitFor(
      () => received.length >= 1 && killSwitches.length >= 1,
      60_000,
    );
    // A moment more to catch any duplicate delivery.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received, output).toHaveLength(1);
    expect(received[0]?.contentType).toBe("application/secevent+jwt");

    const jwks = createRemoteJWKSet(
      new URL(`http://127.0.0.1:${jwksPort}/jwks.json`),
    );
    const { payload, protectedHeader } = await jwtVerify(
      received[0]?.body ?? "",
      jwks,
      {
        issuer: "https://warden.test",
        audience: receiverUrl,
        typ: "secevent+jwt",
      },
    );
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload["txn"]).toBe(decision.decision_id);
    expect(payload["sub_id"]).toEqual({ format: "opaque", id: "agent:x/1" });
    expect(payload).not.toHaveProperty("sub");
    expect(payload).not.toHaveProperty("exp");
    expect(Object.keys(payload["events"] as object)).toEqual([
      "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
    ]);

    expect(killSwitches).toHaveLength(1);
    expect(JSON.parse(killSwitches[0] ?? "{}")).toEqual({
      agent_id: "agent:x/1",
      tenant: "acme",
      decision_id: decision.decision_id,
      reason: "1,250 calls/min vs baseline p99 40",
    });

    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    expect(code, output).toBe(0);
  });
});
