import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startDemoReceiver,
  type DemoReceiver,
  type ReceivedSet,
} from "../cli/src/demo/receiver.js";

const ISSUER = "http://warden.test";
const AUDIENCE = "warden-demo-receiver";
const EVENT =
  "https://schemas.openid.net/secevent/risc/event-type/account-disabled";

// The demo receiver over real HTTP: its JWKS from a real server, SETs pushed as a transmitter would.
describe("the demo SSF receiver", () => {
  let key: CryptoKey;
  let jwksServer: Server;
  let jwksUp = true;
  let receiver: DemoReceiver;
  const received: ReceivedSet[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    key = pair.privateKey;
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: "k1",
      alg: "ES256",
    };
    jwksServer = createServer((_request, response) => {
      if (!jwksUp) response.writeHead(503).end();
      else
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) =>
      jwksServer.listen(0, "127.0.0.1", resolve),
    );
    const { port } = jwksServer.address() as AddressInfo;
    receiver = await startDemoReceiver({
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
      expected: { issuer: ISSUER, audience: AUDIENCE },
      onSet: (set) => received.push(set),
    });
  });

  afterAll(async () => {
    await receiver.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  const sign = (jti: string): Promise<string> =>
    new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      iat: Math.floor(Date.now() / 1000),
      jti,
      sub_id: { format: "opaque", id: "agent:ci-agent/3" },
      events: { [EVENT]: {} },
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "secevent+jwt" })
      .sign(key);

  const push = (body: string, type = "application/secevent+jwt") =>
    fetch(receiver.url, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });

  it("answers 202 to a SET that verifies and reports it", async () => {
    const response = await push(await sign("good-1"));
    expect(response.status).toBe(202);
    expect(received.at(-1)?.verification).toMatchObject({
      ok: true,
      set: { jti: "good-1", eventType: EVENT, subject: "agent:ci-agent/3" },
    });
  });

  it("answers 400 invalid_key to a tampered SET, and 400 to a body that is not a SET", async () => {
    const [header, , signature] = (await sign("good-2")).split(".");
    const forged = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        aud: AUDIENCE,
        jti: "x",
        events: { [EVENT]: {} },
      }),
    ).toString("base64url");
    const tampered = await push(`${header}.${forged}.${signature}`);
    expect(tampered.status).toBe(400);
    expect(await tampered.json()).toMatchObject({ err: "invalid_key" });
    const wrongType = await push(await sign("good-3"), "application/json");
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ err: "invalid_request" });
  });

  it("answers 503 (try again) while the transmitter's JWKS cannot be fetched", async () => {
    jwksUp = false;
    const { port } = jwksServer.address() as AddressInfo;
    const fresh = await startDemoReceiver({
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
      expected: { issuer: ISSUER, audience: AUDIENCE },
      onSet: (set) => received.push(set),
    });
    const response = await fetch(fresh.url, {
      method: "POST",
      headers: { "content-type": "application/secevent+jwt" },
      body: await sign("good-4"),
    });
    jwksUp = true;
    await fresh.close();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      err: "temporarily_unavailable",
    });
  });
});
