import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually } from "./support/service.js";
import { publishDecision, ssfClient } from "./support/ssf-client.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
const VERIFIER = "test/support/ssf-verify.py";

function verify(
  jwt: string,
  jwksUrl: string,
  issuer: string,
  audience: string,
) {
  const run = spawnSync("python3", [VERIFIER, jwksUrl, issuer, audience], {
    input: jwt,
    encoding: "utf8",
  });
  return { ok: run.status === 0, stdout: run.stdout, stderr: run.stderr };
}

// The SETs checked by an implementation that is not ours: PyJWT (Python) fetches the JWKS from the
// running revoker over HTTP. Needs `pip install --user pyjwt cryptography`.
describe("interop: PyJWT verifies the revoker's SETs", () => {
  const names = uniqueNames("ssfinterop");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  const sets: string[] = [];

  beforeAll(async () => {
    const probe = spawnSync("python3", ["-c", "import jwt, cryptography"], {
      encoding: "utf8",
    });
    if (probe.status !== 0)
      throw new Error(
        `PyJWT missing: pip install --user pyjwt cryptography\n${probe.stderr}`,
      );
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-interop-test",
    });
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "idp",
          token_sha256: sha256Hex("t"),
          tenant: "acme",
          audience: "https://idp.example",
        },
      ]),
    });
    const idp = ssfClient(revoker.base, "t");
    const created = await idp("POST", "/ssf/streams", {
      delivery: { method: "urn:ietf:rfc:8936" },
      events_requested: [
        `${CAEP}/session-revoked`,
        `${CAEP}/credential-change`,
        `${RISC}/account-disabled`,
      ],
      subject_format: "iss_sub",
    });
    const path = new URL(
      (created.body as { delivery: { endpoint_url: string } }).delivery
        .endpoint_url,
    ).pathname;
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-i1`,
      "agent-i",
      { credential_ids: ["key-i"] },
    );
    await eventually("three SETs", async () => {
      const answer = (
        await idp("POST", path, {
          maxEvents: 10,
          returnImmediately: true,
          ack: [],
        })
      ).body as {
        sets: Record<string, string>;
      };
      for (const [jti, jwt] of Object.entries(answer.sets)) {
        if (!sets.includes(jwt)) sets.push(jwt);
        await idp("POST", path, { ack: [jti], maxEvents: 0 });
      }
      return sets.length >= 3 ? true : undefined;
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("accepts every SET: typ, kid, RS256, iss, aud, jti, one event, RFC 9493 subject", () => {
    const types: string[] = [];
    for (const jwt of sets) {
      const result = verify(
        jwt,
        `${revoker.base}/jwks.json`,
        revoker.base,
        "https://idp.example",
      );
      expect(result.ok, result.stderr).toBe(true);
      const { header, claims } = JSON.parse(result.stdout) as {
        header: Record<string, unknown>;
        claims: Record<string, unknown>;
      };
      expect(header["typ"]).toBe("secevent+jwt");
      expect(claims["jti"]).toMatch(/^[0-9a-f]{32}$/);
      expect(claims["txn"]).toBe(`${revoker.namespace}-i1`);
      expect(claims["sub_id"]).toEqual({
        format: "iss_sub",
        iss: `${revoker.base}/tenants/acme`,
        sub: "agent-i",
      });
      types.push(Object.keys(claims["events"] as object)[0] ?? "");
    }
    expect(types.sort()).toEqual([
      `${CAEP}/credential-change`,
      `${CAEP}/session-revoked`,
      `${RISC}/account-disabled`,
    ]);
  });

  it("rejects a tampered signature, a wrong audience, a wrong issuer and alg none", () => {
    const jwt = sets[0] ?? "";
    const [head, body, signature] = jwt.split(".");
    const flipped = `${head}.${body}.${(signature?.[0] === "A" ? "B" : "A") + (signature?.slice(1) ?? "")}`;
    const jwks = `${revoker.base}/jwks.json`;
    expect(verify(flipped, jwks, revoker.base, "https://idp.example").ok).toBe(
      false,
    );
    expect(verify(jwt, jwks, revoker.base, "https://other.example").ok).toBe(
      false,
    );
    expect(
      verify(jwt, jwks, "https://evil.example", "https://idp.example").ok,
    ).toBe(false);
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "secevent+jwt" })).toString("base64url")}.${body}.`;
    expect(verify(none, jwks, revoker.base, "https://idp.example").ok).toBe(
      false,
    );
  });
});
