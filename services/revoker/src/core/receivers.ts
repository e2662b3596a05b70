import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Receivers and their bearer tokens. Only SHA-256 digests of tokens are configured, so a
 * leaked configuration does not leak a token; a presented token is hashed and compared to
 * every digest in constant time.
 */
/** Owner of the operator-configured stream (REVOKER_PUSH_URL); no receiver may take this id. */
export const OPERATOR_OWNER = "operator";

export const Scope = {
  manage: "ssf.manage",
  read: "ssf.read",
  /** Warden extension: manual revoke and reinstate. */
  admin: "warden.admin",
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const SCOPES: readonly Scope[] = Object.values(Scope);

export interface Receiver {
  readonly id: string;
  /** SHA-256 of a static bearer token, 64 hex digits (development; or an OAuth client). */
  readonly tokenSha256: string | undefined;
  /** The OAuth client whose access tokens (RFC 9068 `client_id`) stand for this receiver. */
  readonly clientId: string | undefined;
  readonly scopes: readonly Scope[];
  /** `aud` of this receiver's streams. */
  readonly audience: string;
  /** The tenant whose agents its streams cover and whose agents it may act on; `*`: every tenant. */
  readonly tenant: string;
}

/** Whether a receiver may see or act on a tenant's agents: its own tenant, or every tenant with `*`. */
export function coversTenant(
  receiver: Pick<Receiver, "tenant">,
  tenant: string,
): boolean {
  return receiver.tenant === "*" || receiver.tenant === tenant;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Parses the JSON of REVOKER_RECEIVERS; throws an Error saying what is wrong. */
export function parseReceivers(json: string): Receiver[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error("a JSON array of receivers");
  const seen = new Set<string>();
  return value.map((item: unknown, index) => {
    const entry = (
      typeof item === "object" && item !== null ? item : {}
    ) as Record<string, unknown>;
    const {
      id,
      token_sha256: digest,
      client_id: clientId,
      scopes,
      audience,
      tenant,
    } = entry;
    if (typeof id !== "string" || id === "" || seen.has(id))
      throw new Error(`receiver ${index}: a unique non-empty "id"`);
    // Streams owned by "operator" (REVOKER_PUSH_URL) skip the SSRF guard and auto-pause: a
    // receiver of that id would own its streams with the operator's exemptions (issue 16).
    if (id === OPERATOR_OWNER)
      throw new Error(
        `receiver ${index}: the id "${OPERATOR_OWNER}" is reserved for the operator-configured stream (REVOKER_PUSH_URL)`,
      );
    seen.add(id);
    if (
      digest !== undefined &&
      (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest))
    )
      throw new Error(
        `receiver ${id}: "token_sha256" as 64 lowercase hex digits`,
      );
    if (
      clientId !== undefined &&
      (typeof clientId !== "string" || clientId === "")
    )
      throw new Error(`receiver ${id}: "client_id" as a non-empty string`);
    if (digest === undefined && clientId === undefined)
      throw new Error(
        `receiver ${id}: "token_sha256" (a static token) or "client_id" (OAuth access tokens)`,
      );
    const scopeList = scopes ?? [Scope.manage, Scope.read];
    if (
      !Array.isArray(scopeList) ||
      !scopeList.every((s) => (SCOPES as readonly unknown[]).includes(s))
    )
      throw new Error(`receiver ${id}: "scopes" from ${SCOPES.join(", ")}`);
    if (audience !== undefined && typeof audience !== "string")
      throw new Error(`receiver ${id}: "audience" as a string`);
    // No default: a receiver that silently saw every tenant is what issue 16 found.
    if (typeof tenant !== "string" || tenant === "")
      throw new Error(
        `receiver ${id}: "tenant" (the tenant whose agents it gets, or "*" for an operator receiver that gets every tenant's)`,
      );
    return {
      id,
      tokenSha256: digest,
      clientId,
      scopes: scopeList as Scope[],
      audience: audience ?? id,
      tenant,
    };
  });
}

/** The receiver whose token is in `authorization` (`Bearer <token>`), or undefined. */
export function authenticate(
  authorization: string | undefined,
  receivers: readonly Receiver[],
): Receiver | undefined {
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const presented = createHash("sha256").update(match[1]).digest();
  let found: Receiver | undefined;
  // Compare against every receiver, never stopping early, so timing says nothing about which matched.
  for (const receiver of receivers) {
    if (receiver.tokenSha256 === undefined) continue;
    if (
      timingSafeEqual(presented, Buffer.from(receiver.tokenSha256, "hex")) &&
      !found
    )
      found = receiver;
  }
  return found;
}
