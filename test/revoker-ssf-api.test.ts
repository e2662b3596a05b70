import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually, freePort } from "./support/service.js";
import {
  metricValue,
  publishDecision,
  ssfClient,
  until,
} from "./support/ssf-client.js";
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

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type";
const PUSH = "urn:ietf:rfc:8935";

// SSF 1.0 stream management, push delivery and the security checks of issue 6, against a
// revoker process over the real NATS and Kafka.
describe("revoker SSF transmitter API and push delivery", () => {
  const names = uniqueNames("ssfapi");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let ops: string;
  let idp: ReturnType<typeof ssfClient>;
  let streamId = "";
  const output = () => revoker.service.output();
  const eventTypes = () =>
    receiver.accepted.map((set) => set.eventType.replace(/^.*\//, ""));

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-api-test",
    });
    receiver = await startPushReceiver();
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "idp",
          token_sha256: sha256Hex("idp-token"),
          tenant: "acme",
          audience: "https://idp.example",
        },
        { id: "app", token_sha256: sha256Hex("app-token"), tenant: "acme" },
        {
          id: "globex-idp",
          token_sha256: sha256Hex("globex-token"),
          tenant: "globex",
        },
        {
          id: "reader",
          token_sha256: sha256Hex("reader-token"),
          tenant: "acme",
          scopes: ["ssf.read"],
        },
      ]),
      REVOKER_RECEIVER_ALLOW_HTTP: "true",
      REVOKER_RECEIVER_ALLOWED_CIDRS: "127.0.0.1/32",
      REVOKER_RETRY_INITIAL: "100ms",
      REVOKER_RETRY_MAX: "400ms",
      REVOKER_BREAKER_FAILURES: "3",
      REVOKER_BREAKER_OPEN: "500ms",
      REVOKER_MIN_VERIFICATION_INTERVAL: "1s",
    });
    idp = ssfClient(revoker.base, "idp-token");
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("serves the transmitter metadata and the JWKS without a token", async () => {
    const { status, body } = await ssfClient(revoker.base, undefined)(
      "GET",
      "/.well-known/ssf-configuration",
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      spec_version: "1_0",
      issuer: revoker.base,
      jwks_uri: `${revoker.base}/jwks.json`,
      delivery_methods_supported: [PUSH, "urn:ietf:rfc:8936"],
      configuration_endpoint: `${revoker.base}/ssf/streams`,
      status_endpoint: `${revoker.base}/ssf/status`,
      add_subject_endpoint: `${revoker.base}/ssf/subjects/add`,
      remove_subject_endpoint: `${revoker.base}/ssf/subjects/remove`,
      verification_endpoint: `${revoker.base}/ssf/verify`,
      default_subjects: "ALL",
    });
    const jwks = (await ssfClient(revoker.base, undefined)("GET", "/jwks.json"))
      .body as { keys: object[] };
    expect(jwks.keys[0]).toMatchObject({
      kty: "RSA",
      alg: "RS256",
      use: "sig",
    });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("authenticates every management call: 401 without a valid token, 403 without the scope, no query tokens", async () => {
    for (const client of [
      ssfClient(revoker.base, undefined),
      ssfClient(revoker.base, "wrong"),
    ]) {
      const answer = await client("GET", "/ssf/streams");
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toContain("Bearer");
    }
    const reader = ssfClient(revoker.base, "reader-token");
    expect((await reader("GET", "/ssf/streams")).status).toBe(200);
    const refused = await reader("POST", "/ssf/streams", {
      delivery: { method: PUSH, endpoint_url: receiver.url },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain(
      'error="insufficient_scope"',
    );
    expect(
      (
        await ssfClient(revoker.base, undefined)(
          "GET",
          "/ssf/streams?access_token=idp-token",
        )
      ).status,
    ).toBe(400);
    expect(output()).not.toContain("idp-token");
  });

  it("refuses receiver URLs outside policy (SSRF guard)", async () => {
    for (const url of [
      "https://[::1]/events",
      "http://169.254.169.254/latest",
      "https://10.0.0.1/e",
      "file:///etc/passwd",
    ]) {
      const answer = await idp("POST", "/ssf/streams", {
        delivery: { method: PUSH, endpoint_url: url },
      });
      expect(answer.status, url).toBe(400);
      expect(answer.body).toMatchObject({ err: "invalid_request" });
    }
  });

  it("gives a tenant's stream only that tenant's agents: two tenants' support-bot-1 stay apart (issue 16)", async () => {
    const globex = ssfClient(revoker.base, "globex-token");
    const created = await globex("POST", "/ssf/streams", {
      events_requested: [`${CAEP}/session-revoked`],
    });
    expect(created.status).toBe(201);
    const id = String((created.body as Record<string, unknown>)["stream_id"]);
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-acme-bot`,
      "support-bot-1",
    );
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-globex-bot`,
      "support-bot-1",
      { tenant: "globex" },
    );
    const seen: Record<string, unknown>[] = [];
    await eventually("globex's SET", async () => {
      const answer = (
        await globex("POST", `/ssf/poll/${id}`, {
          maxEvents: 10,
          returnImmediately: true,
        })
      ).body as { sets: Record<string, string> };
      for (const jwt of Object.values(answer.sets)) seen.push(decodeJwt(jwt));
      return seen.length > 0 ? true : undefined;
    });
    // The acme decision was published first: had it reached this stream, it would be here too.
    expect(seen.map((claims) => claims["txn"])).toEqual([
      `${revoker.namespace}-globex-bot`,
    ]);
    expect(seen[0]?.["sub_id"]).toEqual({
      format: "iss_sub",
      iss: `${revoker.base}/tenants/globex`,
      sub: "support-bot-1",
    });
    expect(
      (await globex("DELETE", `/ssf/streams?stream_id=${id}`)).status,
    ).toBe(204);
  });

  it("creates (201), reads (one and all), and hides a stream from other receivers", async () => {
    const created = await idp("POST", "/ssf/streams", {
      delivery: {
        method: PUSH,
        endpoint_url: receiver.url,
        authorization_header: "Bearer push-secret",
      },
      events_requested: [
        `${CAEP}/session-revoked`,
        `${CAEP}/credential-change`,
        "urn:example:unknown",
      ],
      description: "idp stream",
    });
    expect(created.status).toBe(201);
    const config = created.body as Record<string, unknown>;
    streamId = String(config["stream_id"]);
    expect(config).toMatchObject({
      iss: revoker.base,
      aud: "https://idp.example",
      events_delivered: [
        `${CAEP}/session-revoked`,
        `${CAEP}/credential-change`,
      ],
      delivery: { method: PUSH, endpoint_url: receiver.url },
      description: "idp stream",
    });
    expect(JSON.stringify(config)).not.toContain("push-secret");
    expect(
      (await idp("GET", `/ssf/streams?stream_id=${streamId}`)).body,
    ).toEqual(config);
    expect((await idp("GET", "/ssf/streams")).body).toEqual([config]);
    const app = ssfClient(revoker.base, "app-token");
    expect(
      (await app("GET", `/ssf/streams?stream_id=${streamId}`)).status,
    ).toBe(404);
    expect((await app("GET", "/ssf/streams")).body).toEqual([]);
    expect((await idp("GET", "/ssf/streams?stream_id=nope")).status).toBe(404);
  });

  it("answers a verification request with 204 and a verification SET echoing state", async () => {
    expect(
      (
        await idp("POST", "/ssf/verify", {
          stream_id: streamId,
          state: "abc123",
        })
      ).status,
    ).toBe(204);
    expect(
      (await idp("POST", "/ssf/verify", { stream_id: streamId })).status,
    ).toBe(429);
    const set = await eventually("the verification SET", () =>
      Promise.resolve(
        receiver.accepted.find((s) => s.eventType === `${SSF}/verification`),
      ),
    );
    const { payload } = await jwtVerify(
      set.jwt,
      createRemoteJWKSet(new URL(`${revoker.base}/jwks.json`)),
      {
        issuer: revoker.base,
        audience: "https://idp.example",
        typ: "secevent+jwt",
      },
    );
    expect(payload["sub_id"]).toEqual({ format: "opaque", id: streamId });
    expect(payload["events"]).toEqual({
      [`${SSF}/verification`]: { state: "abc123" },
    });
    expect(set.authorization).toBe("Bearer push-secret");
  });

  it("pushes the events the stream requested for a decision", async () => {
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-d1`,
      "agent-1",
      { credential_ids: ["key-a"] },
    );
    await until(
      "two SETs for d1",
      () =>
        receiver.accepted.filter(
          (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d1`,
        ).length === 2,
    );
    const d1 = receiver.accepted.filter(
      (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d1`,
    );
    expect(d1.map((s) => s.eventType.replace(/^.*\//, "")).sort()).toEqual([
      "credential-change",
      "session-revoked",
    ]);
  });

  it("loses nothing and duplicates no jti while the receiver is down, with the breaker opening", async () => {
    receiver.answer = { status: 503 };
    const before = receiver.accepted.length;
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-d2`,
      "agent-2",
    );
    await until(
      "three failed attempts",
      () => receiver.attempts.length >= before + 5,
    );
    await eventually("the breaker to open", async () =>
      (await metricValue(
        ops,
        'warden_revoker_circuit_state{receiver="idp",service="revoker"}',
      )) === 2
        ? true
        : undefined,
    );
    receiver.answer = { status: 202 };
    await until("d2 delivered after recovery", () =>
      receiver.accepted.some(
        (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d2`,
      ),
    );
    const jtis = receiver.accepted.map((s) => s.jti);
    expect(new Set(jtis).size, output()).toBe(jtis.length);
    expect(
      await metricValue(
        ops,
        'warden_revoker_deliveries_total{receiver="idp",outcome="retry",service="revoker"}',
      ),
    ).toBeGreaterThan(0);
  });

  it("holds events while paused, says so with stream-updated, and delivers them on enable", async () => {
    const paused = await idp("POST", "/ssf/status", {
      stream_id: streamId,
      status: "paused",
      reason: "maintenance",
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({
      stream_id: streamId,
      status: "paused",
      reason: "maintenance",
    });
    expect(
      (await idp("GET", `/ssf/status?stream_id=${streamId}`)).body,
    ).toMatchObject({ status: "paused" });
    await until("stream-updated paused", () =>
      receiver.accepted.some((s) =>
        JSON.stringify(decodeJwt(s.jwt)["events"]).includes('"paused"'),
      ),
    );
    const pausedUpdate = receiver.accepted.find((s) =>
      JSON.stringify(decodeJwt(s.jwt)["events"]).includes('"paused"'),
    );
    expect(decodeJwt(pausedUpdate?.jwt ?? "")).toMatchObject({
      txn: expect.any(String) as unknown,
      events: {
        [`${SSF}/stream-updated`]: { status: "paused", reason: "maintenance" },
      },
    });
    // SSF 1.0 §8.1.2: nothing is transmitted on a paused stream, a verification SET neither.
    const verifications = eventTypes().filter((t) => t === "verification");
    const refused = await idp("POST", "/ssf/verify", {
      stream_id: streamId,
      state: "while-paused",
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ err: "invalid_request" });
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-d3`,
      "agent-3",
    );
    await eventually("d3 queued", async () =>
      (await metricValue(
        ops,
        `warden_revoker_queue_depth{stream_id="${streamId}",kind="events",service="revoker"}`,
      )) >= 1
        ? true
        : undefined,
    );
    expect(
      receiver.accepted.some(
        (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d3`,
      ),
    ).toBe(false);
    expect(
      (
        await idp("POST", "/ssf/status", {
          stream_id: streamId,
          status: "enabled",
        })
      ).status,
    ).toBe(200);
    await until("d3 delivered after enable", () =>
      receiver.accepted.some(
        (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d3`,
      ),
    );
    expect(eventTypes()).toContain("stream-updated");
    expect(eventTypes().filter((t) => t === "verification")).toEqual(
      verifications,
    );
    // A status change without a reason still says why (SSF 1.0 §8.1.5).
    await until("stream-updated enabled with a reason", () =>
      receiver.accepted.some((s) => {
        const update = (
          decodeJwt(s.jwt)["events"] as Record<string, Record<string, unknown>>
        )[`${SSF}/stream-updated`];
        return (
          update?.["status"] === "enabled" &&
          update["reason"] === "status set to enabled by receiver idp"
        );
      }),
    );
  });

  it("refuses a transmitter-supplied field that does not match, in PATCH and PUT (SSF 1.0 §8.1.1.3/4)", async () => {
    const read = (await idp("GET", `/ssf/streams?stream_id=${streamId}`))
      .body as Record<string, unknown>;
    // The write-only header is not in what was read: a replace must give it again.
    const replace = {
      ...read,
      delivery: {
        ...(read["delivery"] as object),
        authorization_header: "Bearer push-secret",
      },
    };
    expect((await idp("PUT", "/ssf/streams", replace)).status).toBe(200);
    for (const [field, value] of [
      ["events_delivered", [`${CAEP}/assurance-level-change`]],
      ["events_supported", [`${CAEP}/session-revoked`]],
      ["min_verification_interval", 12345],
    ] as const)
      for (const method of ["PATCH", "PUT"]) {
        const answer = await idp(method, "/ssf/streams", {
          ...(method === "PUT" ? replace : { stream_id: streamId }),
          [field]: value,
        });
        expect(answer.status, `${method} ${field}`).toBe(400);
        expect(answer.body).toMatchObject({ err: "invalid_request" });
      }
    expect(
      (await idp("GET", `/ssf/streams?stream_id=${streamId}`)).body,
    ).toEqual(read);
  });

  it("drops events while disabled, counting them", async () => {
    expect(
      (
        await idp("POST", "/ssf/status", {
          stream_id: streamId,
          status: "disabled",
        })
      ).status,
    ).toBe(200);
    expect(
      (await idp("POST", "/ssf/verify", { stream_id: streamId })).status,
    ).toBe(400);
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-d4`,
      "agent-4",
    );
    await eventually("d4 dropped", async () =>
      (await metricValue(
        ops,
        'warden_revoker_sets_dropped_total{receiver="idp",service="revoker"}',
      )) >= 1
        ? true
        : undefined,
    );
    expect(
      receiver.accepted.some(
        (s) => decodeJwt(s.jwt)["txn"] === `${revoker.namespace}-d4`,
      ),
    ).toBe(false);
    expect(
      (
        await idp("POST", "/ssf/status", {
          stream_id: streamId,
          status: "bogus",
        })
      ).status,
    ).toBe(400);
  });

  it("adds (200) and removes (204) subjects, updates (PATCH 200), replaces (PUT 200) and deletes (204)", async () => {
    const subject = { format: "opaque", id: "agent-5" };
    const added = await idp("POST", "/ssf/subjects/add", {
      stream_id: streamId,
      subject,
      verified: true,
    });
    expect(added.status).toBe(200);
    expect(
      (
        await idp("POST", "/ssf/subjects/remove", {
          stream_id: streamId,
          subject,
        })
      ).status,
    ).toBe(204);
    for (const bad of [
      "agent-5",
      { format: "email" },
      { format: "iss_sub", iss: "https://i" },
      { format: "complex" },
    ])
      expect(
        (
          await idp("POST", "/ssf/subjects/add", {
            stream_id: streamId,
            subject: bad,
          })
        ).status,
        JSON.stringify(bad),
      ).toBe(400);
    const patched = await idp("PATCH", "/ssf/streams", {
      stream_id: streamId,
      description: "renamed",
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      description: "renamed",
      events_requested: expect.any(Array) as unknown,
    });
    expect(
      (
        await idp("PATCH", "/ssf/streams", {
          stream_id: streamId,
          aud: "https://evil.example",
        })
      ).status,
    ).toBe(400);
    const replaced = await idp("PUT", "/ssf/streams", {
      stream_id: streamId,
      delivery: { method: "urn:ietf:rfc:8936" },
      events_requested: [`${CAEP}/session-revoked`],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      delivery: {
        method: "urn:ietf:rfc:8936",
        endpoint_url: `${revoker.base}/ssf/poll/${streamId}`,
      },
    });
    expect(replaced.body).not.toHaveProperty("description");
    expect(
      (await idp("DELETE", `/ssf/streams?stream_id=${streamId}`)).status,
    ).toBe(204);
    expect(
      (await idp("GET", `/ssf/streams?stream_id=${streamId}`)).status,
    ).toBe(404);
    expect(output()).not.toContain("push-secret");
  });
});
