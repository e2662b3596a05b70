import { createHash, timingSafeEqual } from "node:crypto";

/** A gateway allowed to use HTTP ingest: its name and the SHA-256 of its bearer token. */
export interface GatewayToken {
  readonly gateway: string;
  readonly sha256: Buffer;
}

const ENTRY = /^([A-Za-z0-9._-]{1,64}):([0-9a-f]{64})$/u;

/**
 * Parses `name:sha256hex,name:sha256hex`. Only hashes are configured, so a leaked
 * configuration does not leak tokens; errors name the entry by position, never echo it.
 */
export function parseGatewayTokens(input: string): GatewayToken[] {
  if (input.trim() === "") return [];
  const tokens = input.split(",").map((raw, index) => {
    const match = ENTRY.exec(raw.trim());
    if (!match?.[1] || !match[2])
      throw new Error(
        `entry ${index + 1} must be <gateway>:<64 lowercase hex digits of sha256(token)>`,
      );
    return { gateway: match[1], sha256: Buffer.from(match[2], "hex") };
  });
  const names = new Set(tokens.map((token) => token.gateway));
  if (names.size !== tokens.length)
    throw new Error("gateway names must be unique");
  return tokens;
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * The gateway whose token this `Authorization` header carries, or undefined. Every
 * configured hash is compared, in constant time, whether or not an earlier one matched, so
 * timing reveals neither which gateway nor how much of a token was right.
 */
export function authenticateBearer(
  authorization: string | undefined,
  tokens: readonly GatewayToken[],
): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/u.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const presented = hashToken(match[1]);
  let found: string | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(presented, token.sha256)) found ??= token.gateway;
  }
  return found;
}
