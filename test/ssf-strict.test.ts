import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, get as httpsGet, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "@warden/shared";
import { eventually, freePort, startService } from "./support/service.js";
import { publishDecision, until } from "./support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import { cleanUpNats, namespaceOf, sha256Hex } from "./support/ssf-revoker.js";
import { httpsJson, makeTestTls, type TestTls } from "./support/tls.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";
import { runWarden } from "./support/demo-process.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type";
const PUSH = "urn:ietf:rfc:8935";
const POLL = "urn:ietf:rfc:8936";
const CHECKER = "test/support/ssf-check.py";
const AUDIENCE = "https://idp.example";

interface Checked {
  readonly jwt: string;
  readonly expect: Record<string, string>;
}

/** The strict checker (PyJWT, not Warden's JOSE library) over a list of SETs. */
function strictCheck(dir: string, input: Record<string, unknown>) {
  const file = join(dir, `check-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(input));
  const run = spawnSync("python3", [CHECKER, "check", file], {
    encoding: "utf8",
  });
  return { status: run.status, report: run.stdout, stderr: run.stderr };
}

/** An OpenID Provider (panva/oidc-provider) over https issuing RFC 9068 JWT access tokens by client credentials. */
async function startAuthorizationServer(tls: TestTls, resource: string) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    alg: "RS256",
    use: "sig",
    kid: "as-1",
  };
  const server: Server = createServer({ cert: tls.cert, key: tls.key });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = ["idp-client", "reader-client"].map((id) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    scope: "ssf.read ssf.manage",
  }));
  const provider = new Provider(url, {
    clients,
    jwks: { keys: [jwk] },
    ttl: { ClientCredentials: 600 },
    scopes: ["ssf.read", "ssf.manage"],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: "ssf.read ssf.manage",
          audience: resource,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  server.on("request", provider.callback());
  return {
    url,
    async token(clientId: string, scope: string): Promise<string> {
      const answer = await httpsJson(tls.ca, "POST", `${url}/token`, {
        basic: Buffer.from(`${clientId}:${clientId}-secret`).toString("base64"),
        form: { grant_type: "client_credentials", scope, resource },
      });
      const token = (answer.body as Record<string, unknown>)["access_token"];
      if (typeof token !== "string")
        throw new Error(JSON.stringify(answer.body));
      return token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the suite needs of the host under test: the revoker service or the all-in-one. */
interface Host {
  output(): string;
  /** One revoke decision about `agentId`, naming `credential`; resolves with its decision id. */
  decide(agentId: string, credential: string): Promise<string>;
  /** An alert at `risk` about `agentId`, when the host can be handed one directly (the revoker). */
  alert?(agentId: string, risk: number): Promise<void>;
  /** Its Prometheus page. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** Settings both hosts read alike (the revoker's REVOKER_* definitions, one for both). */
interface HostSetting {
  readonly port: number;
  readonly base: string;
  readonly dir: string;
  readonly tls: TestTls;
  readonly env: Record<string, string>;
}

/** The revoker service over NATS: decisions are published to its decision subject. */
async function startRevokerHost(setting: HostSetting): Promise<Host> {
  const names = uniqueNames("ssfstrict");
  const connection = await connectNats({
    config: natsConfig,
    logger: testLogger,
    name: "ssf-strict-test",
  });
  const opsPort = await freePort();
  const revoker = startService("services/revoker/dist/main.js", {
    ...setting.env,
    WARDEN_NAMESPACE: namespaceOf(names),
    WARDEN_OPS_PORT: String(opsPort),
    REVOKER_HTTP_PORT: String(setting.port),
    REVOKER_ISSUER: setting.base,
    REVOKER_SIGNING_KEY_FILE: join(setting.dir, "keys.json"),
  });
  return {
    output: () => revoker.output(),
    metrics: async () =>
      (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(),
    async decide(agentId, credential) {
      const decisionId = `${namespaceOf(names)}-${agentId}`;
      await publishDecision(connection, names, decisionId, agentId, {
        credential_ids: [credential],
      });
      return decisionId;
    },
    async alert(agentId, risk) {
      await publishDecision(
        connection,
        names,
        `${namespaceOf(names)}-${agentId}-${risk}`,
        agentId,
        { action: "alert", risk },
      );
    },
    async stop() {
      await revoker.stop();
      await cleanUpNats(connection, names);
      await connection.drain();
    },
  };
}

/** 150 exports in 3 s by one agent: a runaway loop the all-in-one's detector revokes. */
function burst(agentId: string, credential: string): object[] {
  const start = Date.now();
  return Array.from({ length: 150 }, (_, i) => ({
    schema: "agent-audit/v1",
    event_id: `strict-${randomUUID()}`,
    time: new Date(start + i * 20).toISOString(),
    tenant: "acme",
    agent: { id: agentId, kind: "report-job" },
    credential: { id: credential, type: "api_key" },
    action: { name: "crm.contacts.export", verb: "export" },
    resource: { id: "crm:contacts", type: "table" },
    outcome: "success",
  }));
}

/** `warden start` over https: decisions come from its own detector, fed over POST /v1/events. */
function startAllInOneHost(setting: HostSetting): Promise<Host> {
  const warden = runWarden(["start", "--port", String(setting.port)], {
    ...setting.env,
    CHDB_PATH: join(setting.dir, "chdb"),
    WARDEN_LOG_LEVEL: "warn",
  });
  const call = (method: string, path: string, body?: unknown) =>
    httpsJson(setting.tls.ca, method, `${setting.base}${path}`, { body });
  return Promise.resolve({
    output: () => warden.output(),
    metrics: () =>
      new Promise((resolve, reject) =>
        httpsGet(
          `${setting.base}/metrics`,
          { ca: setting.tls.ca },
          (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () => resolve(text));
          },
        ).on("error", reject),
      ),
    async decide(agentId, credential) {
      const posted = await call(
        "POST",
        "/v1/events",
        burst(agentId, credential),
      );
      if (posted.status !== 202) throw new Error(JSON.stringify(posted.body));
      const decisions = (await call("GET", "/v1/decisions?limit=1000"))
        .body as { decision_id: string; agent_id: string; action: string }[];
      const revoke = decisions.find(
        (decision) =>
          decision.agent_id === agentId && decision.action === "revoke",
      );
      if (!revoke) throw new Error(`no revoke: ${JSON.stringify(decisions)}`);
      return revoke.decision_id;
    },
    async stop() {
      warden.child.kill("SIGTERM");
      await warden.exited;
    },
  });
}

// Issue 18's done-when: the revoker over https, receivers authorised by OAuth client-credentials
// tokens from a real authorization server, stream CRUD, status, subjects and verification by
// SSF 1.0's rules, and every SET it sends over push and poll passing a strict checker of our own
// that proves (self-test) it refuses tampered SETs.
// The same suite runs against the revoker service and against the all-in-one (`warden start`),
// which runs the revoker's own code on the same REVOKER_* settings.
describe.each([
  { host: "the revoker", start: startRevokerHost },
  { host: "the all-in-one", start: startAllInOneHost },
])(
  "strict SSF interop against $host: https, OAuth access tokens, every SET checked",
  ({ start }) => {
    const dir = mkdtempSync(join(tmpdir(), "warden-ssf-strict-"));
    let tls: TestTls;
    let authorizationServer: Awaited<
      ReturnType<typeof startAuthorizationServer>
    >;
    let receiver: PushReceiver;
    let revoker: Host;
    let base = "";
    let token = "";
    const checked: Checked[] = [];
    let pushStream = "";
    let pollStream = "";
    /** The risk-level-change events pushed about agent-risky, in order. */
    const risky = () =>
      receiver.accepted.flatMap((set) => {
        if (set.eventType !== `${CAEP}/risk-level-change`) return [];
        const claims = JSON.parse(
          Buffer.from(set.jwt.split(".")[1] ?? "", "base64url").toString(),
        ) as {
          sub_id: { sub?: string };
          events: Record<string, Record<string, unknown>>;
        };
        return claims.sub_id.sub === "agent-risky"
          ? Object.values(claims.events)
          : [];
      });
    const call = (
      method: string,
      path: string,
      body?: unknown,
      bearer = token,
    ) => httpsJson(tls.ca, method, `${base}${path}`, { token: bearer, body });

    beforeAll(async () => {
      const probe = spawnSync("python3", ["-c", "import jwt, cryptography"], {
        encoding: "utf8",
      });
      if (probe.status !== 0)
        throw new Error(
          `PyJWT missing: pip install --user pyjwt cryptography\n${probe.stderr}`,
        );
      tls = makeTestTls(dir);
      const port = await freePort();
      base = `https://127.0.0.1:${port}`;
      authorizationServer = await startAuthorizationServer(tls, base);
      receiver = await startPushReceiver();
      const env = {
        NODE_EXTRA_CA_CERTS: tls.caFile,
        REVOKER_TLS_CERT_FILE: tls.certFile,
        REVOKER_TLS_KEY_FILE: tls.keyFile,
        REVOKER_OAUTH_ISSUER: authorizationServer.url,
        REVOKER_RECEIVERS: JSON.stringify([
          {
            id: "idp",
            client_id: "idp-client",
            tenant: "acme",
            audience: AUDIENCE,
          },
          {
            id: "reader",
            client_id: "reader-client",
            tenant: "acme",
            scopes: ["ssf.read"],
          },
          { id: "dev", token_sha256: sha256Hex("dev-token"), tenant: "acme" },
        ]),
        REVOKER_RECEIVER_ALLOW_HTTP: "true",
        REVOKER_RECEIVER_ALLOWED_CIDRS: "127.0.0.1/32",
        REVOKER_MIN_VERIFICATION_INTERVAL: "1s",
        REVOKER_RISK_RECOVERY_AFTER: "2s",
      };
      revoker = await start({ port, base, dir, tls, env });
      await eventually("the host over https", async () =>
        (
          await httpsJson(tls.ca, "GET", `${base}/jwks.json`).catch(
            () => undefined,
          )
        )?.status === 200
          ? true
          : undefined,
      );
      token = await authorizationServer.token(
        "idp-client",
        "ssf.manage ssf.read",
      );
    });
    afterAll(async () => {
      await revoker?.stop();
      await receiver?.close();
      await authorizationServer?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the checker refuses every tampered SET and accepts the untampered one (self-test)", () => {
      const run = spawnSync("python3", [CHECKER, "self-test"], {
        encoding: "utf8",
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        checked: 16,
        passed: 16,
        failures: [],
      });
    });

    it("discovery: every URL https, OAuth advertised", async () => {
      const metadata = (
        await httpsJson(tls.ca, "GET", `${base}/.well-known/ssf-configuration`)
      ).body as Record<string, unknown>;
      for (const [field, value] of Object.entries(metadata))
        if (
          typeof value === "string" &&
          /_(endpoint|uri)$|^issuer$/.test(field)
        )
          expect(value, field).toMatch(/^https:\/\//);
      expect(metadata["authorization_schemes"]).toEqual([
        { spec_urn: "urn:ietf:rfc:6749" },
      ]);
    });

    it("authorises by OAuth access token and its scopes; refuses a tampered or absent one", async () => {
      expect((await call("GET", "/ssf/streams")).status).toBe(200);
      const readOnly = await authorizationServer.token(
        "reader-client",
        "ssf.read",
      );
      expect(
        (await call("GET", "/ssf/streams", undefined, readOnly)).status,
      ).toBe(200);
      const denied = await call("POST", "/ssf/streams", {}, readOnly);
      expect(denied.status).toBe(403);
      const [head, body, signature] = token.split(".");
      const flipped = `${head}.${body}.${signature?.startsWith("A") ? "B" : "A"}${signature?.slice(1)}`;
      expect(
        (await call("GET", "/ssf/streams", undefined, flipped)).status,
      ).toBe(401);
      expect((await call("GET", "/ssf/streams", undefined, "")).status).toBe(
        401,
      );
      // Static tokens stay for development.
      expect(
        (await call("GET", "/ssf/streams", undefined, "dev-token")).status,
      ).toBe(200);
      // Refused access tokens are counted by reason (a wrong static token is not one).
      expect(
        (await call("GET", "/ssf/streams", undefined, "nope")).status,
      ).toBe(401);
      const page = await revoker.metrics();
      const refused = (reason: string) =>
        new RegExp(
          `^warden_revoker_oauth_tokens_refused_total\\{reason="${reason}"[^}]*\\} 1$`,
          "m",
        ).test(page);
      expect(refused("bad_signature"), page).toBe(true);
      expect(refused("insufficient_scope"), page).toBe(true);
      expect(page).not.toContain(`reason="malformed"`);
    });

    it("creates push and poll streams, reads, updates and replaces them by SSF 1.0 §8.1.1", async () => {
      const events = [
        `${CAEP}/session-revoked`,
        `${CAEP}/credential-change`,
        `${RISC}/account-disabled`,
        `${CAEP}/risk-level-change`,
      ];
      const push = await call("POST", "/ssf/streams", {
        delivery: { method: PUSH, endpoint_url: receiver.url },
        events_requested: events,
      });
      expect(push.status).toBe(201);
      pushStream = String((push.body as Record<string, unknown>)["stream_id"]);
      const poll = await call("POST", "/ssf/streams", {
        delivery: { method: POLL },
        events_requested: events,
      });
      expect(poll.status).toBe(201);
      const pollConfig = poll.body as Record<string, unknown>;
      pollStream = String(pollConfig["stream_id"]);
      expect(pollConfig["delivery"]).toEqual({
        method: POLL,
        endpoint_url: `${base}/ssf/poll/${pollStream}`,
      });
      const read = (await call("GET", `/ssf/streams?stream_id=${pollStream}`))
        .body as Record<string, unknown>;
      expect(read).toEqual(pollConfig);
      expect((await call("PUT", "/ssf/streams", read)).status).toBe(200);
      expect(
        (
          await call("PATCH", "/ssf/streams", {
            stream_id: pollStream,
            description: "poll",
          })
        ).status,
      ).toBe(200);
      for (const [field, value] of [
        ["events_delivered", [`${CAEP}/session-revoked`]],
        ["events_supported", []],
        ["min_verification_interval", 99],
      ] as const) {
        expect(
          (
            await call("PATCH", "/ssf/streams", {
              stream_id: pollStream,
              [field]: value,
            })
          ).status,
          field,
        ).toBe(400);
        expect(
          (await call("PUT", "/ssf/streams", { ...read, [field]: value }))
            .status,
          field,
        ).toBe(400);
      }
    });

    it("status and verification: refused while paused or disabled, a state-echoing SET when enabled", async () => {
      for (const status of ["paused", "disabled"]) {
        expect(
          (await call("POST", "/ssf/status", { stream_id: pushStream, status }))
            .status,
        ).toBe(200);
        expect(
          (
            await call("POST", "/ssf/verify", {
              stream_id: pushStream,
              state: status,
            })
          ).status,
        ).toBe(400);
      }
      expect(
        (
          await call("POST", "/ssf/status", {
            stream_id: pushStream,
            status: "enabled",
          })
        ).status,
      ).toBe(200);
      expect(
        (await call("GET", `/ssf/status?stream_id=${pushStream}`)).body,
      ).toMatchObject({ status: "enabled" });
      expect(
        (
          await call("POST", "/ssf/verify", {
            stream_id: pushStream,
            state: "s-push",
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await call("POST", "/ssf/verify", {
            stream_id: pollStream,
            state: "s-poll",
          })
        ).status,
      ).toBe(204);
      await until("the pushed verification", () =>
        receiver.accepted.some(
          (set) => set.eventType === `${SSF}/verification`,
        ),
      );
      for (const set of receiver.accepted)
        checked.push({
          jwt: set.jwt,
          expect:
            set.eventType === `${SSF}/verification`
              ? { state: "s-push", stream_id: pushStream }
              : { stream_id: pushStream },
        });
    });

    it("risk-level-change carries previous_level and goes back to LOW on recovery", async (context) => {
      if (!revoker.alert) return context.skip();
      await revoker.alert("agent-risky", 0.5);
      await until("the MEDIUM report", () => risky().length >= 1);
      await revoker.alert("agent-risky", 0.9);
      // REVOKER_RISK_RECOVERY_AFTER is 2 s: nothing follows the HIGH alert, so LOW comes next.
      await until("the recovery to LOW", () => risky().length >= 3, 20_000);
      expect(
        risky().map((event) => [
          event["current_level"],
          event["previous_level"],
        ]),
      ).toEqual([
        ["MEDIUM", undefined],
        ["HIGH", "MEDIUM"],
        ["LOW", "HIGH"],
      ]);
      expect(risky()[2]).toMatchObject({ initiating_entity: "system" });
    });

    it("subjects: RFC 9493 members checked on add and remove", async () => {
      for (const subject of [
        { format: "email" },
        { format: "iss_sub", iss: base },
        { format: "complex" },
        { format: "unknown", id: "x" },
      ])
        expect(
          (
            await call("POST", "/ssf/subjects/add", {
              stream_id: pollStream,
              subject,
            })
          ).status,
          JSON.stringify(subject),
        ).toBe(400);
      const subject = {
        format: "iss_sub",
        iss: `${base}/tenants/acme`,
        sub: "agent-quiet",
      };
      expect(
        (
          await call("POST", "/ssf/subjects/add", {
            stream_id: pollStream,
            subject,
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call("POST", "/ssf/subjects/remove", {
            stream_id: pollStream,
            subject,
          })
        ).status,
      ).toBe(204);
    });

    it("every SET of a decision, pushed and polled, passes the strict checker; one txn per decision", async () => {
      const decisionId = await revoker.decide("agent-loud", "tok-secret-1");
      const quietId = await revoker.decide("agent-quiet", "tok-secret-2");
      await until(
        "four pushed SETs of the decision",
        () =>
          receiver.accepted.filter(
            (set) => set.jwt.length > 0 && !set.eventType.startsWith(SSF),
          ).length >= 4,
      );
      const polled: string[] = [];
      await eventually("the polled SETs", async () => {
        const answer = (
          await call("POST", `/ssf/poll/${pollStream}`, {
            maxEvents: 50,
            returnImmediately: true,
            ack: [],
          })
        ).body as {
          sets: Record<string, string>;
        };
        for (const [jti, jwt] of Object.entries(answer.sets)) {
          if (!polled.includes(jwt)) polled.push(jwt);
          await call("POST", `/ssf/poll/${pollStream}`, {
            ack: [jti],
            maxEvents: 0,
            returnImmediately: true,
          });
        }
        return polled.length >= 5 ? true : undefined;
      });
      for (const set of receiver.accepted.filter(
        (s) => !s.eventType.startsWith(SSF),
      ))
        checked.push({ jwt: set.jwt, expect: {} });
      for (const jwt of polled) {
        const type = Object.keys(
          (
            JSON.parse(
              Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString(),
            ) as { events: object }
          ).events,
        )[0];
        checked.push({
          jwt,
          expect:
            type === `${SSF}/verification`
              ? { state: "s-poll", stream_id: pollStream }
              : {},
        });
      }
      const result = strictCheck(dir, {
        jwks_url: `${base}/jwks.json`,
        issuer: base,
        audience: AUDIENCE,
        cafile: tls.caFile,
        sets: checked,
      });
      expect(result.status, result.report + result.stderr).toBe(0);
      const report = JSON.parse(result.report) as {
        checked: number;
        failures: unknown[];
      };
      expect(report.checked).toBe(checked.length);
      expect(checked.length).toBeGreaterThanOrEqual(10);
      const payloads = checked.map(
        (entry) =>
          JSON.parse(
            Buffer.from(entry.jwt.split(".")[1] ?? "", "base64url").toString(),
          ) as Record<string, unknown>,
      );
      const ofDecision = payloads.filter(
        (claims) => claims["txn"] === decisionId,
      );
      expect(ofDecision.length).toBeGreaterThanOrEqual(8);
      // No credential id in any SET; the removed subject's revoke reached the push stream only.
      expect(JSON.stringify(payloads)).not.toContain("tok-secret");
      const quiet = payloads.filter((claims) => claims["txn"] === quietId);
      expect(quiet.length).toBeGreaterThan(0);
      expect(revoker.output()).not.toContain(token);
    });
  },
);
