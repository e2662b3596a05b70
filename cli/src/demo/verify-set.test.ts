import {
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWTPayload,
} from "jose";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { verifySet } from "./verify-set.js";

const ISSUER = "http://127.0.0.1:8080";
const AUDIENCE = "warden-demo-receiver";
const SESSION_REVOKED =
  "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair("ES256")).privateKey;
  const jwk = await exportJWK(pair.publicKey);
  keys = createLocalJWKSet({ keys: [{ ...jwk, kid: "k1", alg: "ES256" }] });
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: 1_763_900_000,
    jti: "a1b2c3",
    txn: "dec-1",
    sub_id: { format: "opaque", id: "agent:support-bot/84" },
    events: { [SESSION_REVOKED]: { initiating_entity: "policy" } },
    ...overrides,
  };
}

function sign(
  payload: JWTPayload,
  options: { key?: CryptoKey; typ?: string } = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({
      alg: "ES256",
      kid: "k1",
      typ: options.typ ?? "secevent+jwt",
    })
    .sign(options.key ?? signingKey);
}

const expected = { issuer: ISSUER, audience: AUDIENCE };

describe("verifySet (the demo receiver's checks)", () => {
  it("accepts a SET signed by the transmitter's key and reads its event and subject", async () => {
    const result = await verifySet(await sign(claims()), keys, expected);
    expect(result).toEqual({
      ok: true,
      set: {
        jti: "a1b2c3",
        eventType: SESSION_REVOKED,
        subject: "agent:support-bot/84",
        txn: "dec-1",
        issuedAtSeconds: 1_763_900_000,
      },
    });
  });

  it("refuses a SET whose payload was changed after signing (invalid_key)", async () => {
    const token = await sign(claims());
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify(
        claims({ sub_id: { format: "opaque", id: "someone-else" } }),
      ),
    ).toString("base64url");
    const result = await verifySet(
      `${header}.${forged}.${signature}`,
      keys,
      expected,
    );
    expect(result).toMatchObject({ ok: false, err: "invalid_key" });
  });

  it("refuses any single flipped character of the signature", async () => {
    const token = await sign(claims());
    const cut = token.lastIndexOf(".") + 1;
    const signatureLength = token.length - cut;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: signatureLength - 2 }),
        async (offset) => {
          const at = cut + offset;
          const flipped = token[at] === "A" ? "B" : "A";
          const tampered = `${token.slice(0, at)}${flipped}${token.slice(at + 1)}`;
          const result = await verifySet(tampered, keys, expected);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("refuses a SET signed by a key the transmitter does not publish", async () => {
    const result = await verifySet(
      await sign(claims(), { key: otherKey }),
      keys,
      expected,
    );
    expect(result).toMatchObject({ ok: false, err: "invalid_key" });
  });

  it("refuses the wrong issuer, the wrong audience and the wrong typ", async () => {
    expect(
      await verifySet(
        await sign(claims({ iss: "https://evil.example" })),
        keys,
        expected,
      ),
    ).toMatchObject({ ok: false, err: "invalid_issuer" });
    expect(
      await verifySet(
        await sign(claims({ aud: "someone-else" })),
        keys,
        expected,
      ),
    ).toMatchObject({ ok: false, err: "invalid_audience" });
    expect(
      await verifySet(await sign(claims(), { typ: "JWT" }), keys, expected),
    ).toMatchObject({ ok: false, err: "invalid_request" });
  });

  it("refuses tokens that are not SETs: sub, exp, no jti, no event or two events", async () => {
    const notSets = [
      claims({ sub: "agent" }),
      claims({ exp: 1_763_990_000 }),
      claims({ jti: undefined }),
      claims({ events: {} }),
      claims({
        events: { [SESSION_REVOKED]: {}, [`${SESSION_REVOKED}-2`]: {} },
      }),
    ];
    for (const payload of notSets)
      expect(
        await verifySet(await sign(payload), keys, expected),
      ).toMatchObject({
        ok: false,
        err: "invalid_request",
      });
    expect(await verifySet("not a jwt", keys, expected)).toMatchObject({
      ok: false,
      err: "invalid_request",
    });
  });

  it("throws, rather than refusing the SET, when the keys cannot be fetched", async () => {
    const unreachable = (): Promise<never> =>
      Promise.reject(new TypeError("fetch failed"));
    await expect(
      verifySet(await sign(claims()), unreachable, expected),
    ).rejects.toThrow("fetch failed");
  });
});
