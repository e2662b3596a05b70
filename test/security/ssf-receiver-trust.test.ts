import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignJWT, UnsecuredJWT, decodeJwt } from "jose";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { NatsConnection } from "nats";
import { connectNats, type KillSwitchMessage } from "@warden/shared";
import {
  createEnforcer,
  createSsfPushReceiver,
  type Enforcer,
  type SsfPushReceiver,
} from "@warden/gateway-sdk";
import { eventually } from "../support/service.js";
import { publishDecision, ssfClient, until } from "../support/ssf-client.js";
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

const EXPORT = { verb: "export", sensitivity: "confidential" } as const;
const READ = { verb: "read", sensitivity: "internal" } as const;
const SET_TYPE = "application/secevent+jwt";

/** warden_gateway_ssf_sets_refused_total{reason} in a receiver's registry. */
async function refusedSets(
  registry: Registry,
  reason: string,
): Promise<number> {
  const metric = registry.getSingleMetric(
    "warden_gateway_ssf_sets_refused_total",
  );
  const values = (await metric?.get())?.values ?? [];
  return values.find((value) => value.labels["reason"] === reason)?.value ?? 0;
}

// Issue 16: the SDK's SSF push path enforces a step-up's hold like the NATS path, an admin's
// reinstate settles a pending step-up (no escalation at its deadline), and the receiver takes
// only asymmetric, fresh, never-seen SETs. The real revoker signs and pushes; the SDK receiver
// verifies against its JWKS and feeds an enforcer that has no NATS.
describe("the SDK's SSF receiver: holds, replays and algorithms", () => {
  const names = uniqueNames("sec-ssfrx");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let server: Server;
  let receiver: SsfPushReceiver;
  let enforcer: Enforcer;
  let soc: ReturnType<typeof ssfClient>;
  let pushUrl: string;
  const bodies: string[] = [];
  const applied: KillSwitchMessage[] = [];
  const registry = new Registry();
  const txnOf = (jwt: string) => String(decodeJwt(jwt)["txn"]);

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-ssfrx-test",
    });
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        bodies.push(body);
        void receiver
          .receive({
            body,
            contentType: request.headers["content-type"],
            authorization: request.headers.authorization,
          })
          .then((answer) =>
            response
              .writeHead(answer.status, { "content-type": "application/json" })
              .end("body" in answer ? JSON.stringify(answer.body) : undefined),
          );
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    pushUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ssf/events`;
    revoker = await startRevoker(names, {
      REVOKER_PUSH_URL: pushUrl,
      REVOKER_PUSH_TENANT: "acme",
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "owner-desk",
          token_sha256: sha256Hex("owner-token"),
          tenant: "acme",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_PUSH_EVENTS:
        "session-revoked,account-enabled,assurance-level-change,risk-level-change",
      REVOKER_HOLD_TIMEOUT: "4s",
      REVOKER_CASCADE: "false",
    });
    soc = ssfClient(revoker.base, "owner-token");
    enforcer = createEnforcer({ tenant: "acme", logger: quietLogger });
    await enforcer.start();
    receiver = createSsfPushReceiver({
      issuer: revoker.base,
      audience: pushUrl,
      jwksUrl: `${revoker.base}/jwks.json`,
      tenant: "acme",
      apply: (message) => {
        applied.push(message);
        enforcer.apply(message);
      },
      logger: pino({ level: "silent" }),
      registry,
    });
  });
  afterAll(async () => {
    await enforcer?.stop();
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    server?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("holds sensitive calls on a pushed step-up and releases them on approval", async () => {
    const agent = "ssf-hold-bot";
    const stepUp = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-h1`,
      agent,
      { action: "step_up", risk: 0.9 },
    );
    await until(
      "the hold from the pushed SET",
      () => !enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    expect(enforcer.mayAct(agent, undefined, undefined, EXPORT)).toMatchObject({
      allowed: false,
      held: ["export"],
    });
    expect(enforcer.mayAct(agent, undefined, undefined, READ).allowed).toBe(
      true,
    );
    expect(
      (await soc("POST", `/admin/approvals/${stepUp.decision_id}/approve`))
        .status,
    ).toBe(200);
    await until(
      "the release from the pushed risk-level-change",
      () => enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
  });

  it("lets an admin reinstate settle a pending step-up: no revoke at its deadline", async () => {
    const agent = "ssf-reinstated-bot";
    const stepUp = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-h2`,
      agent,
      { action: "step_up", risk: 0.9 },
    );
    await until(
      "the hold",
      () => !enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    const pending = (
      (await soc("GET", "/admin/approvals")).body as {
        decision_id: string;
        deadline: string;
      }[]
    ).find((item) => item.decision_id === stepUp.decision_id);
    expect(pending).toBeDefined();
    expect(
      (
        await soc("POST", "/admin/reinstate", {
          tenant: "acme",
          agent_id: agent,
          reason: "owner checked it by phone",
        })
      ).status,
    ).toBe(202);
    await until(
      "the reinstate",
      () => enforcer.mayAct(agent, undefined, undefined, EXPORT).allowed,
    );
    expect(
      (
        (await soc("GET", "/admin/approvals")).body as { decision_id: string }[]
      ).some((item) => item.decision_id === stepUp.decision_id),
    ).toBe(false);
    // Past the step-up's deadline (plus the revoker's 1 s timeout check): still not revoked.
    const deadlineMs = Date.parse(pending?.deadline ?? "") + 2_500;
    await eventually("the deadline to pass", () =>
      Promise.resolve(Date.now() > deadlineMs ? true : undefined),
    );
    expect(enforcer.mayAct(agent, undefined, undefined, READ).allowed).toBe(
      true,
    );
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    const entry = await kv.get(`acme.${agent}`);
    expect(entry === null || entry.operation !== "PUT").toBe(true);
  });

  it("does not apply a replayed SET, and refuses stale ones", async () => {
    const agent = "ssf-revoked-bot";
    const revoke = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-r1`,
      agent,
    );
    await until("the revoke", () => !enforcer.mayAct(agent).allowed);
    const body = bodies.find(
      (jwt) =>
        txnOf(jwt) === revoke.decision_id &&
        JSON.stringify(decodeJwt(jwt)["events"]).includes("session-revoked"),
    );
    expect(body).toBeDefined();
    const before = applied.length;
    const again = await receiver.receive({
      body: body ?? "",
      contentType: SET_TYPE,
      authorization: undefined,
    });
    expect(again.status).toBe(202);
    expect(applied.length).toBe(before);
    // Counted, not only logged: the replays are what a gateway's operator alerts on.
    expect(await refusedSets(registry, "replayed")).toBe(1);

    // A receiver whose window is 1 s takes none of these real, seconds-old SETs.
    const strictRegistry = new Registry();
    const strict = createSsfPushReceiver({
      registry: strictRegistry,
      issuer: revoker.base,
      audience: pushUrl,
      jwksUrl: `${revoker.base}/jwks.json`,
      replayWindowMs: 1_000,
      apply: () => {
        throw new Error("must not apply");
      },
      logger: pino({ level: "silent" }),
    });
    const oldest = bodies[0] ?? "";
    const iat = Number(decodeJwt(oldest)["iat"]);
    await eventually("the first SET to be 3 s old", () =>
      Promise.resolve(Date.now() / 1000 - iat > 3 ? true : undefined),
    );
    expect(
      await strict.receive({
        body: oldest,
        contentType: SET_TYPE,
        authorization: undefined,
      }),
    ).toMatchObject({ status: 400, body: { err: "invalid_request" } });
    expect(await refusedSets(strictRegistry, "stale")).toBe(1);
    expect(await refusedSets(strictRegistry, "replayed")).toBe(0);
  });

  it("refuses HS256 and unsigned SETs, and refuses to be configured for them", async () => {
    const claims = {
      iss: revoker.base,
      aud: pushUrl,
      jti: "forged-1",
      txn: "forged",
      sub_id: { format: "opaque", id: "ssf-forged-bot" },
      events: {
        "https://schemas.openid.net/secevent/risc/event-type/account-enabled":
          {},
      },
    };
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "secevent+jwt" })
      .setIssuedAt()
      .sign(new TextEncoder().encode("a shared secret of 32 bytes!!!!!"));
    const none = new UnsecuredJWT(claims).setIssuedAt().encode();
    const before = applied.length;
    for (const body of [hs, none])
      expect(
        await receiver.receive({
          body,
          contentType: SET_TYPE,
          authorization: undefined,
        }),
      ).toMatchObject({ status: 400 });
    expect(applied.length).toBe(before);
    expect(await refusedSets(registry, "unverified")).toBe(2);
    for (const algorithms of [["HS256"], ["none"], ["RS256", "hs512"], []])
      expect(() =>
        createSsfPushReceiver({
          issuer: revoker.base,
          audience: pushUrl,
          jwksUrl: `${revoker.base}/jwks.json`,
          algorithms,
          apply: () => undefined,
        }),
      ).toThrow(/algorithms: asymmetric JWS algorithms only/);
  });
});
