import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
} from "jose";
import {
  KILL_SWITCH_JWS_TYPE,
  killSwitchSignature,
  parseKillSwitchMessage,
  type KillSwitchMessage,
  type KillSwitchParse,
} from "@warden/shared/kill-switch";

/** Where the revoker's public keys come from: its JWKS URL, or a key set given directly. */
export type KillSwitchKeys =
  { readonly jwksUrl: string | URL } | { readonly jwks: JSONWebKeySet };

/** The revoker signs with RS256 or ES256 (services/revoker SIGNING_ALGS); nothing else is accepted. */
export const KILL_SWITCH_ALGORITHMS = ["RS256", "ES256"] as const;

export interface KillSwitchVerifier {
  /**
   * The signed message, when the bytes carry a valid `jws` by one of the revoker's keys and
   * `arrivedOn` says the signed tenant and agent are those of the subject or KV key the bytes
   * came on (a signed revoke of one agent replayed on another's subject does nothing).
   */
  verify(
    bytes: Uint8Array,
    arrivedOn: (message: KillSwitchMessage) => boolean,
  ): Promise<KillSwitchParse>;
}

export function createKillSwitchVerifier(
  keys: KillSwitchKeys,
): KillSwitchVerifier {
  const keySet =
    "jwks" in keys
      ? createLocalJWKSet(keys.jwks)
      : createRemoteJWKSet(new URL(keys.jwksUrl));
  return {
    async verify(bytes, arrivedOn) {
      const jws = killSwitchSignature(bytes);
      if (jws === undefined) return { ok: false, problem: "not signed" };
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(jws, keySet, {
          algorithms: [...KILL_SWITCH_ALGORITHMS],
          typ: KILL_SWITCH_JWS_TYPE,
        }));
      } catch {
        return { ok: false, problem: "signature does not verify" };
      }
      const parsed = parseKillSwitchMessage(
        new TextEncoder().encode(JSON.stringify(payload)),
      );
      if (!parsed.ok) return parsed;
      if (!arrivedOn(parsed.message))
        return {
          ok: false,
          problem: "signed tenant/agent differ from the subject it came on",
        };
      return parsed;
    },
  };
}
