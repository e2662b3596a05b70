import { createHash } from "node:crypto";
import type { CredentialType } from "../audit-event.js";

/** Who is calling, as the example gateways learn it from the request. */
export interface Caller {
  readonly agentId: string;
  /** Never the secret: a hash of an API key, or the token's `jti`. */
  readonly credentialId: string;
  readonly credentialType: CredentialType;
  /** Claims of a bearer JWT, for the delegation chain (RFC 8693 `act`). */
  readonly tokenClaims: Record<string, unknown> | undefined;
}

function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const [, payload] = token.split(".");
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(payload, "base64url").toString("utf8"),
    );
    return typeof claims === "object" && claims !== null
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Toy authentication: `Authorization: Bearer <jwt>` (the agent is the current actor of `act`,
 * else `sub`) or `Authorization: Bearer <api key>` with `x-agent-id`. A real gateway verifies
 * the JWT's signature against its IdP's keys (e.g. jose's createRemoteJWKSet) before this.
 */
export function identifyCaller(
  headers: Record<string, string | string[] | undefined>,
): Caller | undefined {
  const authorization = headers["authorization"];
  if (typeof authorization !== "string" || !authorization.startsWith("Bearer "))
    return undefined;
  const token = authorization.slice("Bearer ".length).trim();
  const claims =
    token.split(".").length === 3 ? decodeJwtClaims(token) : undefined;
  if (claims) {
    const act = claims["act"] as { sub?: unknown } | undefined;
    const agentId = typeof act?.sub === "string" ? act.sub : claims["sub"];
    const jti = claims["jti"];
    if (typeof agentId !== "string" || agentId === "") return undefined;
    return {
      agentId,
      credentialId: typeof jti === "string" && jti !== "" ? jti : hashOf(token),
      credentialType: "oauth_token",
      tokenClaims: claims,
    };
  }
  const agentId = headers["x-agent-id"];
  if (typeof agentId !== "string" || agentId === "" || token === "")
    return undefined;
  return {
    agentId,
    credentialId: hashOf(token),
    credentialType: "api_key",
    tokenClaims: undefined,
  };
}

function hashOf(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 24)}`;
}
