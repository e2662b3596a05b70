import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import type { Receiver, Scope } from "./core/receivers.js";

/**
 * OAuth 2.0 bearer access tokens for the SSF API (CAEP interoperability profile §2.7): JWT
 * access tokens (RFC 9068) from one configured authorization server, verified against its
 * JWKS. The token's `client_id` names the receiver (configured with `client_id`, so its
 * tenant and audience come from Warden's configuration, never from the token) and the
 * granted scopes are the token's `scope` within the receiver's configured ones.
 */
export interface OAuthConfig {
  /** The authorization server's issuer (`iss` of its tokens). */
  readonly issuer: string;
  /** `aud` the tokens must carry: the revoker's resource indicator. */
  readonly audience: string;
  /** Its JWKS; undefined: read from its RFC 8414 / OpenID discovery document on first use. */
  readonly jwksUri: string | undefined;
}

/** Asymmetric algorithms only: an HMAC or `none` token is refused before any key is tried. */
const ACCESS_TOKEN_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];
const DISCOVERY_TIMEOUT_MS = 5_000;

/** Why an access token was refused: the `reason` label of warden_revoker_oauth_tokens_refused_total. */
export const OAUTH_REFUSALS = [
  "expired",
  "bad_signature",
  "unknown_key",
  "disallowed_alg",
  "wrong_claims",
  "malformed",
  "keys_unavailable",
  "unknown_client",
  "insufficient_scope",
] as const;
export type OAuthRefusal = (typeof OAUTH_REFUSALS)[number];

export type OAuthOutcome =
  | { readonly ok: true; readonly receiver: Receiver }
  | {
      readonly ok: false;
      readonly why: string;
      readonly reason: OAuthRefusal;
    };

/** jose's error codes → a bounded refusal reason. Pure. */
export function refusalOf(code: string | undefined): OAuthRefusal {
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "bad_signature";
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "unknown_key";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "disallowed_alg";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return "wrong_claims";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return "malformed";
    default:
      return "keys_unavailable";
  }
}

export interface OAuthVerifier {
  /** The receiver a JWT access token stands for, with the scopes it was granted. */
  verify(token: string, receivers: readonly Receiver[]): Promise<OAuthOutcome>;
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const base = issuer.replace(/\/+$/, "");
  const { pathname, origin } = new URL(base);
  // RFC 8414 §3 inserts the well-known segment before the issuer's path; OpenID appends it.
  for (const url of [
    `${origin}/.well-known/oauth-authorization-server${pathname === "/" ? "" : pathname}`,
    `${base}/.well-known/openid-configuration`,
  ]) {
    const response = await fetch(url, {
      redirect: "error",
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    }).catch(() => undefined);
    if (!response?.ok) continue;
    const metadata = (await response.json()) as Record<string, unknown>;
    if (
      metadata["issuer"] === issuer &&
      typeof metadata["jwks_uri"] === "string"
    )
      return metadata["jwks_uri"];
  }
  throw new Error(`no discovery document with jwks_uri for ${issuer}`);
}

function grantedScopes(
  payload: JWTPayload,
  allowed: readonly Scope[],
): Scope[] {
  const scope = payload["scope"];
  const asked = typeof scope === "string" ? scope.split(" ") : [];
  return allowed.filter((item) => asked.includes(item));
}

export function createOAuthVerifier(config: OAuthConfig): OAuthVerifier {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  async function keySet() {
    keys ??= createRemoteJWKSet(
      new URL(config.jwksUri ?? (await discoverJwksUri(config.issuer))),
    );
    return keys;
  }
  return {
    async verify(token, receivers) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, await keySet(), {
          issuer: config.issuer,
          audience: config.audience,
          // RFC 9068 §2.1 / §4: the header's typ is at+jwt; exp, iat, jti, sub, client_id are required.
          typ: "at+jwt",
          algorithms: ACCESS_TOKEN_ALGS,
          requiredClaims: ["exp", "iat", "jti", "sub", "client_id"],
        }));
      } catch (error) {
        const code = error instanceof errors.JOSEError ? error.code : undefined;
        return {
          ok: false,
          why: code ?? "authorization server keys unavailable",
          reason: refusalOf(code),
        };
      }
      const receiver = receivers.find(
        (candidate) =>
          candidate.clientId !== undefined &&
          candidate.clientId === payload["client_id"],
      );
      if (!receiver)
        return {
          ok: false,
          why: "client_id is not a receiver",
          reason: "unknown_client",
        };
      return {
        ok: true,
        receiver: {
          ...receiver,
          scopes: grantedScopes(payload, receiver.scopes),
        },
      };
    },
  };
}

/** Whether a bearer value is shaped like a JWT (three base64url parts), worth verifying. */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}
