import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
} from "jose";
import {
  SET_TYPE,
  openSigningKeys,
  type PublicJwks,
  type SigningAlg,
  type SigningKeys,
} from "@warden/revoker";

/** RSA size the revoker generates (the CAEP interoperability profile's minimum). */
const RSA_BITS = 2048;

/**
 * The all-in-one's signing keys: the revoker's key file when one is configured (same format,
 * rotation and overlap), else one key generated now and kept in memory — a demo or a laptop run
 * needs no file, and receivers fetch the public half from the all-in-one's JWKS.
 */
export function openAllInOneKeys(options: {
  readonly file: string | undefined;
  readonly alg: SigningAlg;
}): Promise<SigningKeys> {
  if (options.file !== undefined)
    return openSigningKeys({
      file: options.file,
      alg: options.alg,
      // The all-in-one is for one machine: rotate monthly, keep the old key a week, like the revoker.
      rotationMs: 30 * 86_400_000,
      overlapMs: 7 * 86_400_000,
    });
  return generateMemoryKey(options.alg);
}

async function generateMemoryKey(alg: SigningAlg): Promise<SigningKeys> {
  const pair = await generateKeyPair(alg, { modulusLength: RSA_BITS });
  const full = await exportJWK(pair.publicKey);
  const publicPart: JWK =
    alg === "RS256"
      ? { kty: "RSA", n: full.n, e: full.e }
      : { kty: "EC", crv: full.crv, x: full.x, y: full.y };
  const kid = await calculateJwkThumbprint(publicPart);
  const jwks: PublicJwks = {
    keys: [Object.freeze({ ...publicPart, kid, alg, use: "sig" as const })],
  };
  return {
    activeKid: () => kid,
    publicJwks: () => jwks,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg, typ: SET_TYPE, kid })
        .sign(pair.privateKey),
    rotateIfDue: () => Promise.resolve(false),
  };
}
