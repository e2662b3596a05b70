import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
} from "jose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEnforcer,
  createSsfPushReceiver,
  type Enforcer,
} from "@warden/gateway-sdk";
import {
  runWarden as startWarden,
  type WardenProcess,
} from "./support/demo-process.js";
import { runWarden } from "./support/ssf-cli.js";
import { eventually } from "./support/service.js";
import { quietLogger } from "./support/stack.js";

const sha256Hex = (text: string): string =>
  createHash("sha256").update(text).digest("hex");
const SOC_TOKEN = "soc-admin-token-9d2e";
const IDP_TOKEN = "idp-token-53ab";
const ACME_GATEWAY = "gw-acme-token-1f0c";
const GLOBEX_GATEWAY = "gw-globex-token-77aa";
const PUSH_AUTH = "Bearer gateway-push-6e1d";
const AUDIENCE = "https://gateway.acme.example";

/**
 * A gateway as a customer runs it without NATS: the SDK's enforcer fed by its SSF push
 * receiver, which verifies each SET against the all-in-one's JWKS. Every pushed JWT is kept.
 */
interface Gateway {
  readonly url: string;
  readonly enforcer: Enforcer;
  readonly pushed: string[];
  close(): Promise<void>;
}

async function startGateway(issuer: string): Promise<Gateway> {
  const enforcer = createEnforcer({ tenant: "acme", logger: quietLogger });
  await enforcer.start();
  const receiver = createSsfPushReceiver({
    issuer,
    audience: AUDIENCE,
    jwksUrl: `${issuer}/jwks.json`,
    authorization: PUSH_AUTH,
    tenant: "acme",
    apply: (message) => enforcer.apply(message),
    logger: pino({ level: "silent" }),
  });
  const pushed: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      pushed.push(body);
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ssf/events`,
    enforcer,
    pushed,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await enforcer.stop();
    },
  };
}

/** One audit event of `agent` at `time` (ms), NDJSON. */
function auditLine(
  agent: string,
  time: number,
  extra: { verb?: string; resource?: string } = {},
): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `cli-${randomUUID()}`,
    time: new Date(time).toISOString(),
    tenant: "acme",
    agent: { id: agent, kind: "report-job", owner: "erin@acme.example" },
    credential: { id: `key-${agent}`, type: "api_key" },
    action: {
      name: `crm.contacts.${extra.verb ?? "read"}`,
      verb: extra.verb ?? "read",
    },
    resource: {
      id: extra.resource ?? "crm:contacts",
      type: "table",
      sensitivity: "internal",
    },
    outcome: "success",
  });
}

// Every operator command (`receivers`, `agents`, `agent`, `approvals`, `approve`, `revoke`,
// `reinstate`, `keys`) against one `warden start`: the same binary and environment variables
// as against the cluster, and the effects checked where they land — at a gateway enforcing the
// kill switch from the SETs it was pushed, in the query API, in the JWKS.
describe("warden commands against the all-in-one", () => {
  let dataDir: string;
  let warden: WardenProcess;
  let base = "";
  let gateway: Gateway;
  const as = (variables: Record<string, string>, ...args: string[]) =>
    runWarden({ WARDEN_REVOKER_URL: base, ...variables }, ...args);
  const soc = (...args: string[]) =>
    as({ WARDEN_ADMIN_TOKEN: SOC_TOKEN }, ...args);
  const idp = (...args: string[]) =>
    as({ WARDEN_SSF_TOKEN: IDP_TOKEN, IDP_PUSH_AUTH: PUSH_AUTH }, ...args);
  const baseline = (token: string, ...args: string[]) =>
    runWarden(
      { WARDEN_BASELINE_URL: base, WARDEN_BASELINE_TOKEN: token },
      ...args,
    );
  const post = async (token: string, lines: readonly string[]) => {
    const response = await fetch(`${base}/v1/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-ndjson",
        authorization: `Bearer ${token}`,
      },
      body: lines.join("\n"),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { accepted: number };
  };
  const blocked = (agent: string) => !gateway.enforcer.mayAct(agent).allowed;
  const until = (what: string, condition: () => boolean) =>
    eventually(
      what,
      () => Promise.resolve(condition() ? true : undefined),
      30_000,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-cli-all-in-one-"));
    warden = startWarden(["start", "--port", "0"], {
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      INGEST_GATEWAY_TOKENS: [
        `gw-acme:${sha256Hex(ACME_GATEWAY)}:acme`,
        `gw-globex:${sha256Hex(GLOBEX_GATEWAY)}:globex`,
      ].join(","),
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex(SOC_TOKEN),
          tenant: "*",
          scopes: ["warden.admin"],
        },
        {
          id: "idp",
          token_sha256: sha256Hex(IDP_TOKEN),
          tenant: "acme",
          audience: AUDIENCE,
        },
      ]),
      REVOKER_RECEIVER_ALLOW_HTTP: "true",
      REVOKER_RECEIVER_ALLOWED_CIDRS: "127.0.0.1/32",
      REVOKER_APPROVAL_AGENTS: "acme/agent:prod-*",
      REVOKER_CASCADE: "false",
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    base = `http://127.0.0.1:${port}`;
    gateway = await startGateway(base);
  }, 90_000);
  afterAll(async () => {
    warden?.child.kill("SIGKILL");
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("receivers: adds the gateway's push stream, lists it and verifies it", async () => {
    const added = await idp(
      "receivers",
      "add",
      "--push",
      gateway.url,
      "--authorization-env",
      "IDP_PUSH_AUTH",
      "--events",
      "all",
      "--subject-format",
      "iss_sub",
      "--json",
    );
    expect(added.code, added.stderr).toBe(0);
    const stream = JSON.parse(added.stdout) as {
      stream_id: string;
      iss: string;
    };
    expect(stream).toMatchObject({
      iss: base,
      aud: AUDIENCE,
      delivery: { endpoint_url: gateway.url },
    });
    const listed = await idp("receivers", "list", "--json");
    expect(
      (
        JSON.parse(listed.stdout) as { stream_id: string; status: string }[]
      ).map(({ stream_id, status }) => ({ stream_id, status })),
    ).toEqual([{ stream_id: stream.stream_id, status: "enabled" }]);
    const verified = await idp(
      "receivers",
      "verify",
      stream.stream_id,
      "--state",
      "cli-1",
    );
    expect(verified.stdout).toBe(
      `verification requested for stream ${stream.stream_id}\n`,
    );
    await until("the verification SET at the gateway", () =>
      gateway.pushed.some((jwt) =>
        JSON.stringify(decodeJwt(jwt)["events"]).includes('"state":"cli-1"'),
      ),
    );
    // Another tenant's receiver token would be refused; an unknown one is (exit 4).
    const stranger = await as(
      { WARDEN_SSF_TOKEN: "nobody" },
      "receivers",
      "list",
    );
    expect(stranger.code).toBe(4);
  });

  it("revoke blocks the agent at the gateway and in the kill switch; reinstate lets it act again", async () => {
    const agent = "agent:report/7";
    expect(blocked(agent)).toBe(false);
    const revoked = await soc(
      "revoke",
      agent,
      "--tenant",
      "acme",
      "--reason",
      "bulk export by hand",
    );
    expect(revoked.stdout).toMatch(
      /^revoked agent:report\/7 \(tenant acme\), txn \S+\n$/,
    );
    await until("the gateway to refuse the agent", () => blocked(agent));
    const killSwitch = async (token: string) =>
      (await (
        await fetch(`${base}/v1/kill-switch`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { agent_id: string; action: string }[];
    expect(await killSwitch(ACME_GATEWAY)).toMatchObject([
      { agent_id: agent, action: "revoke" },
    ]);
    // Another tenant's gateway is not told about acme's agents.
    expect(await killSwitch(GLOBEX_GATEWAY)).toEqual([]);

    const reinstated = await soc(
      "reinstate",
      agent,
      "--tenant",
      "acme",
      "--reason",
      "false positive",
    );
    expect(reinstated.code, reinstated.stderr).toBe(0);
    await until("the gateway to let the agent act", () => !blocked(agent));
    expect(await killSwitch(ACME_GATEWAY)).toEqual([]);

    // A receiver token without warden.admin may not revoke (exit 4).
    const refused = await as(
      { WARDEN_ADMIN_TOKEN: IDP_TOKEN },
      "revoke",
      agent,
      "--tenant",
      "acme",
      "--reason",
      "r",
    );
    expect(refused.code).toBe(4);
    expect(blocked(agent)).toBe(false);
  });

  it("approvals lists a held revocation; approve sends it out and the gateway blocks the agent", async () => {
    const agent = "agent:prod-billing";
    const start = Date.now();
    // A runaway loop: far past the absolute burst limit, so the detector decides revoke.
    await post(
      ACME_GATEWAY,
      Array.from({ length: 150 }, (_, i) => auditLine(agent, start + i * 20)),
    );
    const pending = await eventually("the pending approval", async () => {
      const listed = await soc("approvals", "--json");
      const items = listed.stdout
        .trim()
        .split("\n")
        .filter((line) => line !== "")
        .map(
          (line) =>
            JSON.parse(line) as { decision_id: string; agent_id: string },
        );
      return items.length > 0 ? items : undefined;
    });
    expect(pending).toMatchObject([{ agent_id: agent, tenant: "acme" }]);
    const text = await soc("approvals");
    expect(text.stdout).toMatch(
      /^1 pending\n\S+\tacme\tagent:prod-billing\tdeadline /u,
    );
    // Held, not yet sent: the gateway still lets it act.
    expect(blocked(agent)).toBe(false);

    const decision = pending[0]?.decision_id ?? "";
    const approved = await soc("approve", decision);
    expect(approved.stdout).toBe(`approved ${decision}\n`);
    await until("the gateway to refuse the approved agent", () =>
      blocked(agent),
    );
    expect(gateway.enforcer.mayAct(agent)).toMatchObject({
      revocation: { decisionId: decision },
    });
    expect((await soc("approvals", "--json")).stdout).toBe("");
    // Approving it twice is refused: it is no longer pending.
    expect((await soc("approve", decision)).code).not.toBe(0);
  });

  it("agents and agent read the all-in-one's query API, a gateway token seeing only its tenant", async () => {
    const agent = "agent:cli-reader/1";
    const now = Date.now();
    await post(
      ACME_GATEWAY,
      [0, 1, 2].map((i) => auditLine(agent, now - 60_000 + i * 1000)),
    );
    const ranked = await eventually("the agent in the ranking", async () => {
      const listed = await baseline(ACME_GATEWAY, "agents", "--json");
      const agents = listed.stdout
        .trim()
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { agent_id: string; calls: number });
      return agents.some((item) => item.agent_id === agent)
        ? agents
        : undefined;
    });
    expect(ranked.find((item) => item.agent_id === agent)).toMatchObject({
      calls: 3,
    });
    // The runaway agent of the approval test ranks first: it has a decision.
    expect(ranked[0]?.agent_id).toBe("agent:prod-billing");

    const detail = await baseline(
      ACME_GATEWAY,
      "agent",
      agent,
      "--tenant",
      "acme",
      "--json",
    );
    expect(detail.code, detail.stderr).toBe(0);
    const shown = JSON.parse(detail.stdout) as { events: { action: string }[] };
    expect(shown.events).toHaveLength(3);

    // globex's gateway sees no acme agent, and is not told acme's agent exists (exit 3).
    const other = await baseline(GLOBEX_GATEWAY, "agents", "--json");
    expect(other.stdout.trim()).toBe("");
    const hidden = await baseline(
      GLOBEX_GATEWAY,
      "agent",
      agent,
      "--tenant",
      "acme",
    );
    expect(hidden.code).toBe(3);
    expect((await baseline("not-a-gateway", "agents")).code).toBe(4);
  });

  it("keys: lists the signing key, rotates it, and the next SET is signed by the new one", async () => {
    const listed = await soc("keys", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const before = JSON.parse(listed.stdout) as {
      keys: { kid: string; status: string }[];
    };
    expect(before.keys).toMatchObject([{ status: "active" }]);
    const oldKid = before.keys[0]?.kid;

    const rotated = await soc("keys", "rotate", "--json");
    expect(rotated.code, rotated.stderr).toBe(0);
    const answer = JSON.parse(rotated.stdout) as {
      previous_kid: string;
      active_kid: string;
    };
    expect(answer.previous_kid).toBe(oldKid);
    expect(answer.active_kid).not.toBe(oldKid);
    const jwks = (await (await fetch(`${base}/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([
      answer.active_kid,
      oldKid,
    ]);

    const pushedBefore = gateway.pushed.length;
    await soc(
      "revoke",
      "agent:after-rotation",
      "--tenant",
      "acme",
      "--reason",
      "key check",
    );
    const set = await eventually("a SET after the rotation", () =>
      Promise.resolve(
        gateway.pushed
          .slice(pushedBefore)
          .find((jwt) => decodeJwt(jwt)["sub_id"] !== undefined),
      ),
    );
    expect(decodeProtectedHeader(set).kid).toBe(answer.active_kid);
    await jwtVerify(set, createRemoteJWKSet(new URL(`${base}/jwks.json`)), {
      issuer: base,
      audience: AUDIENCE,
      typ: "secevent+jwt",
    });
  });
});
