import { createHash, timingSafeEqual } from "node:crypto";
import { auditRecordSignature } from "@warden/shared";

/**
 * A gateway credential (issue 16): the gateway's name, the SHA-256 of its token, the one
 * tenant it may speak for and, optionally, the agent-id prefixes it may report. The tenant of
 * every event it delivers comes from here, never from the event's body.
 */
export interface GatewayCredential {
  readonly gateway: string;
  readonly sha256: Buffer;
  readonly tenant: string;
  /** Empty: any agent id of the tenant. */
  readonly agentPrefixes: readonly string[];
}

const NAME = "[A-Za-z0-9._-]{1,64}";
const ENTRY = new RegExp(
  `^(${NAME}):([0-9a-f]{64}):(${NAME})(?::([^,:]{1,1024}))?$`,
  "u",
);
const PREFIX = /^[\x21-\x7e]{1,128}$/u;

export const GATEWAY_TOKENS_FORMAT =
  "<gateway>:<64 lowercase hex digits of sha256(token)>:<tenant>[:<agent-id prefix>|<agent-id prefix>...]";

/**
 * Parses comma-separated {@link GATEWAY_TOKENS_FORMAT} entries. Only hashes are configured,
 * so a leaked configuration cannot authenticate over HTTP; errors name the entry by
 * position, never echo it.
 */
export function parseGatewayTokens(input: string): GatewayCredential[] {
  if (input.trim() === "") return [];
  const credentials = input.split(",").map((raw, index) => {
    const match = ENTRY.exec(raw.trim());
    const prefixes = match?.[4]?.split("|") ?? [];
    if (
      !match?.[1] ||
      !match[2] ||
      !match[3] ||
      !prefixes.every((prefix) => PREFIX.test(prefix))
    )
      throw new Error(`entry ${index + 1} must be ${GATEWAY_TOKENS_FORMAT}`);
    return {
      gateway: match[1],
      sha256: Buffer.from(match[2], "hex"),
      tenant: match[3],
      agentPrefixes: prefixes,
    };
  });
  const names = new Set(credentials.map((credential) => credential.gateway));
  if (names.size !== credentials.length)
    throw new Error("gateway names must be unique");
  return credentials;
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * The credential whose token this `Authorization` header carries, or undefined. Every
 * configured hash is compared, in constant time, whether or not an earlier one matched, so
 * timing reveals neither which gateway nor how much of a token was right.
 */
export function authenticateBearer(
  authorization: string | undefined,
  credentials: readonly GatewayCredential[],
): GatewayCredential | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/u.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const presented = hashToken(match[1]);
  let found: GatewayCredential | undefined;
  for (const credential of credentials) {
    if (timingSafeEqual(presented, credential.sha256)) found ??= credential;
  }
  return found;
}

/**
 * The credential that signed a Kafka record (headers `warden-gateway` and
 * `warden-signature`, see {@link auditRecordSignature}), or undefined when the gateway is
 * unknown or the signature does not match the record's bytes.
 */
export function authenticateRecord(
  gateway: string | undefined,
  signature: string | undefined,
  value: Uint8Array,
  byGateway: ReadonlyMap<string, GatewayCredential>,
): GatewayCredential | undefined {
  if (gateway === undefined || signature === undefined) return undefined;
  const credential = byGateway.get(gateway);
  if (!credential) return undefined;
  const expected = Buffer.from(
    auditRecordSignature(credential.sha256, value),
    "utf8",
  );
  const presented = Buffer.from(signature, "utf8");
  return presented.length === expected.length &&
    timingSafeEqual(presented, expected)
    ? credential
    : undefined;
}
