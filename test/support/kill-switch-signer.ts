import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from "jose";
import {
  KILL_SWITCH_JWS_TYPE,
  encodeKillSwitchMessage,
  type KillSwitchMessage,
} from "@warden/shared/kill-switch";

/** A revoker-shaped kill-switch signer for tests that publish by hand: an ES256 key and its JWKS. */
export async function createKillSwitchSigner(kid = "test-key"): Promise<{
  readonly jwks: JSONWebKeySet;
  encode(message: KillSwitchMessage): Promise<Uint8Array>;
}> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = {
    ...(await exportJWK(publicKey)),
    kid,
    alg: "ES256",
    use: "sig",
  };
  return {
    jwks: { keys: [jwk] },
    async encode(message) {
      const jws = await new SignJWT({ ...message })
        .setProtectedHeader({ alg: "ES256", typ: KILL_SWITCH_JWS_TYPE, kid })
        .sign(privateKey);
      return encodeKillSwitchMessage(message, jws);
    },
  };
}
