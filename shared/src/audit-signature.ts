import { createHash, createHmac } from "node:crypto";

/**
 * How a gateway that produces to agent.audit.v1 directly proves which credential it holds
 * (issue 16): Kafka hands a consumer no producer principal, so the proof travels in the
 * record. Two headers: `warden-gateway` (the gateway's name in INGEST_GATEWAY_TOKENS) and
 * `warden-signature` = `v1=` + hex HMAC-SHA256 over the record's value, keyed with
 * SHA-256(token) — the same hash ingest is configured with, so one credential serves both
 * HTTP and Kafka. Ingest's HTTP path signs what it produces the same way.
 */
export const AUDIT_RECORD_HEADER = {
  gateway: "warden-gateway",
  signature: "warden-signature",
} as const;

/** The signing key of a gateway token: SHA-256 of its UTF-8 bytes. */
export function auditRecordSigningKey(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function auditRecordSignature(
  key: Uint8Array,
  value: Uint8Array,
): string {
  return `v1=${createHmac("sha256", key).update(value).digest("hex")}`;
}
