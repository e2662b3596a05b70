import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { connectNats, ensureDecisionsStream } from "@warden/shared";
import { createEnforcer, createSsfPushReceiver } from "@warden/gateway-sdk";
import {
  natsConfig,
  quietLogger,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import { cleanUpNats } from "./support/ssf-revoker.js";

// The enforcer without NATS, fed by an SSF push receiver: Warden's real revoker signs and pushes
// the SETs (RFC 8935) for a decision published on JetStream, the receiver verifies them against
// the revoker's JWKS and the gateway refuses the agent and its credential.
describe("the gateway as an SSF push receiver", () => {
  const names = uniqueNames("gw-ssf");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/u, "");
  const dataDir = mkdtempSync(join(tmpdir(), "warden-gw-ssf-"));
  let revoker: RunningService | undefined;
  let server: Server | undefined;
  afterAll(async () => {
    await revoker?.stop();
    server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses an agent and its credential after Warden's SETs, and refuses forged ones", async () => {
    const nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "gw-ssf-test",
    });
    await ensureDecisionsStream(await nats.jetstreamManager(), names);
    const revokerPort = await freePort();
    const receiverPort = await freePort();
    const issuer = `http://127.0.0.1:${revokerPort}`;
    const pushUrl = `http://127.0.0.1:${receiverPort}/ssf/events`;

    const enforcer = createEnforcer({ tenant: "acme", logger: quietLogger });
    await enforcer.start();
    const receiver = createSsfPushReceiver({
      issuer,
      audience: pushUrl,
      jwksUrl: `${issuer}/jwks.json`,
      authorization: "Bearer push-secret",
      tenant: "acme",
      apply: (message) => enforcer.apply(message),
      logger: pino({ level: "silent" }),
    });
    const answers: number[] = [];
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        void receiver
          .receive({
            body,
            contentType: request.headers["content-type"],
            authorization: request.headers.authorization,
          })
          .then((answer) => {
            answers.push(answer.status);
            response
              .writeHead(answer.status, { "content-type": "application/json" })
              .end("body" in answer ? JSON.stringify(answer.body) : undefined);
          });
      });
    });
    await new Promise<void>((resolve) =>
      server?.listen(receiverPort, "127.0.0.1", resolve),
    );

    revoker = startService("services/revoker/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      REVOKER_ISSUER: issuer,
      REVOKER_HTTP_PORT: String(revokerPort),
      REVOKER_SIGNING_KEY_FILE: join(dataDir, "signing-key.json"),
      REVOKER_PUSH_URL: pushUrl,
      REVOKER_PUSH_AUTHORIZATION: "Bearer push-secret",
      REVOKER_PUSH_EVENTS: "session-revoked,credential-change",
    });

    const agentId = `agent:ssf/${randomUUID().slice(0, 8)}`;
    const decisionId = `decision-${randomUUID()}`;
    await nats.jetstream().publish(
      names.decisionSubject("acme", agentId),
      new TextEncoder().encode(
        JSON.stringify({
          schema: "agent-decision/v1",
          decision_id: decisionId,
          tenant: "acme",
          agent_id: agentId,
          action: "revoke",
          risk: 0.97,
          at: new Date().toISOString(),
          credential_ids: ["key-ssf-1", "key-ssf-2"],
          reasons: [
            {
              detector: "burst",
              score: 1,
              summary: "9 calls in 10 s; the limit is 5 per 10 s",
            },
          ],
        }),
      ),
      { msgID: decisionId },
    );

    await eventually("the SETs to be applied", () =>
      Promise.resolve(
        !enforcer.mayAct("someone-else", "key-ssf-2").allowed &&
          !enforcer.mayAct(agentId).allowed
          ? true
          : undefined,
      ),
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${revoker?.output() ?? ""}`);
    });
    expect(enforcer.mayAct(agentId)).toMatchObject({
      allowed: false,
      revocation: {
        decisionId,
        reason: "9 calls in 10 s; the limit is 5 per 10 s",
      },
    });
    expect(enforcer.mayAct("someone-else", "key-ssf-1")).toMatchObject({
      allowed: false,
      matched: "credential",
    });
    expect(answers.every((status) => status === 202)).toBe(true);

    // A SET not signed by the revoker's key, and a push without the agreed Authorization.
    const forged = [
      Buffer.from(
        JSON.stringify({ alg: "RS256", typ: "secevent+jwt" }),
      ).toString("base64url"),
      Buffer.from(
        JSON.stringify({
          iss: issuer,
          aud: pushUrl,
          iat: 1,
          jti: "x",
          events: {},
        }),
      ).toString("base64url"),
      "c2lnbmF0dXJl",
    ].join(".");
    const post = (authorization: string) =>
      fetch(pushUrl, {
        method: "POST",
        headers: { "content-type": "application/secevent+jwt", authorization },
        body: forged,
      });
    const badSignature = await post("Bearer push-secret");
    expect(badSignature.status).toBe(400);
    expect(((await badSignature.json()) as { err: string }).err).toBe(
      "invalid_key",
    );
    const badAuthorization = await post("Bearer guess");
    expect(((await badAuthorization.json()) as { err: string }).err).toBe(
      "authentication_failed",
    );

    expect(await revoker.stop(), revoker.output()).toBe(0);
    await enforcer.stop();
    // The revoker's streams reserve their byte caps on the server: leave none behind.
    await cleanUpNats(nats, names);
    await nats.drain();
  });
});
