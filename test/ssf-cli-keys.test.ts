import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { freePort } from "./support/service.js";
import { metricValue, ssfClient } from "./support/ssf-client.js";
import { runWarden } from "./support/ssf-cli.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const SOC_TOKEN = "soc-keys-token-93d0";

// `warden keys list|rotate` against a revoker process: SETs signed before a rotation still
// verify, SETs after it carry the new kid, and the JWKS serves both.
describe("warden keys", () => {
  const names = uniqueNames("ssfkeys");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let ops = "";
  let siem: ReturnType<typeof ssfClient>;
  let soc: ReturnType<typeof ssfClient>;
  let pollPath = "";
  const admin = (token: string, ...args: string[]) =>
    runWarden(
      { WARDEN_REVOKER_URL: revoker.base, WARDEN_ADMIN_TOKEN: token },
      ...args,
    );

  /** Revokes `agent` by hand and polls until its session-revoked SET arrives. */
  async function revokeAndPoll(agent: string): Promise<string> {
    const revoked = await soc("POST", "/admin/revoke", {
      tenant: "acme",
      agent_id: agent,
      reason: "key rotation test",
    });
    expect(revoked.status).toBe(202);
    const answer = await siem("POST", pollPath, {
      maxEvents: 10,
      returnImmediately: false,
    });
    const sets = Object.entries(
      (answer.body as { sets: Record<string, string> }).sets,
    );
    expect(sets).toHaveLength(1);
    const [jti, jwt] = sets[0] ?? ["", ""];
    await siem("POST", pollPath, { ack: [jti], returnImmediately: true });
    return jwt;
  }

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-keys-test",
    });
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      WARDEN_LOG_LEVEL: "info",
      REVOKER_RECEIVERS: JSON.stringify([
        { id: "siem", token_sha256: sha256Hex("siem-token"), tenant: "acme" },
        {
          id: "soc",
          token_sha256: sha256Hex(SOC_TOKEN),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_POLL_WAIT: "5s",
      REVOKER_CASCADE: "false",
    });
    siem = ssfClient(revoker.base, "siem-token");
    soc = ssfClient(revoker.base, SOC_TOKEN);
    const created = await siem("POST", "/ssf/streams", {
      events_requested: [`${CAEP}/session-revoked`],
    });
    expect(created.status).toBe(201);
    pollPath = `/ssf/poll/${(created.body as { stream_id: string }).stream_id}`;
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("rotates the signing key: new kid from now on, both kids in the JWKS, earlier SETs still verify", async () => {
    const before = await revokeAndPoll("agent:before");
    const oldKid = decodeProtectedHeader(before).kid;

    const listed = await admin(SOC_TOKEN, "keys", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      active_kid: oldKid,
      keys: [{ kid: oldKid, alg: "RS256", status: "active" }],
    });

    const rotated = await admin(SOC_TOKEN, "keys", "rotate");
    expect(rotated.code, rotated.stderr).toBe(0);
    const match =
      /^signing key rotated: (\S+) signs from now on\nprevious key (\S+) stays in the JWKS until \S+\n$/u.exec(
        rotated.stdout,
      );
    expect(match?.[2]).toBe(oldKid);
    const newKid = match?.[1];
    expect(newKid).not.toBe(oldKid);

    const jwks = (await (await fetch(`${revoker.base}/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);

    const after = await revokeAndPoll("agent:after");
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const remote = createRemoteJWKSet(new URL(`${revoker.base}/jwks.json`));
    for (const jwt of [before, after])
      await jwtVerify(jwt, remote, {
        typ: "secevent+jwt",
        issuer: revoker.base,
      });

    const table = await admin(SOC_TOKEN, "keys", "list");
    expect(table.stdout).toMatch(
      new RegExp(
        `^KID +ALG +STATUS +CREATED +UNTIL\\n${newKid} +RS256 +active .*\\n${oldKid} +RS256 +retiring .*leaves JWKS`,
      ),
    );
    expect(
      await metricValue(
        ops,
        'warden_revoker_key_rotations_total{trigger="manual",service="revoker"}',
      ),
    ).toBe(1);

    // The audit line names who rotated which kids; no key material ever reaches the log.
    const log = revoker.service.output();
    expect(log).toMatch(
      new RegExp(
        `"audit":"signing_key_rotated","by":"soc","kid":"${newKid}","previous_kid":"${oldKid}"`,
      ),
    );
    const stored = JSON.parse(
      readFileSync(join(revoker.keyDir, "keys.json"), "utf8"),
    ) as { keys: { jwk: { d: string; p: string } }[] };
    expect(stored.keys).toHaveLength(2);
    for (const { jwk } of stored.keys) {
      expect(log).not.toContain(jwk.d);
      expect(log).not.toContain(jwk.p);
    }
  });

  it("refuses a token without warden.admin (exit 4) and a missing token (exit 2)", async () => {
    const refused = await admin("siem-token", "keys", "rotate");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/revoker answered 403 .*access_denied/);
    const missing = await runWarden(
      { WARDEN_REVOKER_URL: revoker.base, WARDEN_ADMIN_TOKEN: "" },
      "keys",
      "list",
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/WARDEN_ADMIN_TOKEN/);
    expect((await admin(SOC_TOKEN, "keys", "spin")).code).toBe(2);
  });
});
