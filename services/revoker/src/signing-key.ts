import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
} from "jose";
import { WardenError } from "@warden/shared";

export const SIGNING_ALG = "RS256";
export const SET_TYPE = "secevent+jwt";

export interface PublicJwks {
  readonly keys: readonly (JWK & {
    readonly kid: string;
    readonly alg: string;
    readonly use: "sig";
  })[];
}

export interface SigningKey {
  readonly kid: string;
  /** What `/jwks.json` serves: the public key only. */
  publicJwks(): PublicJwks;
  /** A compact JWS of `claims` with header `{ alg: RS256, typ: secevent+jwt, kid }`; no `exp`. */
  sign(claims: JWTPayload): Promise<string>;
}

/**
 * Loads the RS256 private key (a JWK) from `file`, or generates one and writes it there
 * (mode 0600) on first start so the kid survives restarts.
 */
export async function loadSigningKey(file: string): Promise<SigningKey> {
  let privateJwk: JWK;
  if (existsSync(file)) {
    try {
      privateJwk = JSON.parse(await readFile(file, "utf8")) as JWK;
    } catch (cause) {
      throw new WardenError(
        `cannot read the signing key ${file}: fix or delete it (REVOKER_SIGNING_KEY_FILE)`,
        { cause },
      );
    }
  } else {
    const pair = await generateKeyPair(SIGNING_ALG, {
      modulusLength: 2048,
      extractable: true,
    });
    privateJwk = await exportJWK(pair.privateKey);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `${JSON.stringify(privateJwk)}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  }
  if (privateJwk.kty !== "RSA" || privateJwk.d === undefined) {
    throw new WardenError(
      `the signing key ${file} is not an RSA private JWK (REVOKER_SIGNING_KEY_FILE)`,
    );
  }
  const publicJwk: JWK = {
    kty: privateJwk.kty,
    n: privateJwk.n,
    e: privateJwk.e,
  };
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateKey = await importJWK(privateJwk, SIGNING_ALG);
  const jwks: PublicJwks = Object.freeze({
    keys: Object.freeze([
      Object.freeze({
        ...publicJwk,
        kid,
        alg: SIGNING_ALG,
        use: "sig" as const,
      }),
    ]),
  });
  return {
    kid,
    publicJwks: () => jwks,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: SIGNING_ALG, typ: SET_TYPE, kid })
        .sign(privateKey),
  };
}
