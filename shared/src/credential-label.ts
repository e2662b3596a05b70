import { createHash } from "node:crypto";

/**
 * The label a credential goes by wherever it leaves Warden's trust boundary (a SET's CAEP
 * `friendly_name`): never the id itself, since an opaque token's id is the token, but a value
 * its holder can recompute and match — `sha256:` and the first 16 hex of the id's SHA-256
 * (`printf %s "$ID" | sha256sum | cut -c1-16`). Imported alone by the gateway SDK
 * (`@warden/shared/credential-label`).
 */
export function credentialLabel(credentialId: string): string {
  return `sha256:${createHash("sha256").update(credentialId).digest("hex").slice(0, 16)}`;
}

/** Whether `value` has the shape `credentialLabel` gives. */
export function isCredentialLabel(value: string): boolean {
  return /^sha256:[0-9a-f]{16}$/.test(value);
}
