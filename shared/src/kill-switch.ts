/**
 * The kill-switch contract between the revoker and gateways (the gateway SDK's enforcer).
 *
 * The revoker publishes one message per change on `warden.killswitch.<tenant>.<agent>`
 * (core NATS, for speed) and keeps the current state of every revoked agent in the KV
 * bucket `warden-revoked` under `revokedAgentKey(tenant, agent)` (names.ts), so a gateway that was
 * down re-syncs on start-up instead of letting a revoked agent through. Reinstatement
 * publishes `action: "reinstate"` and deletes the key.
 *
 * This module has no runtime dependencies so that the gateway SDK can import it alone
 * (`@warden/shared/kill-switch`).
 */
export const KILL_SWITCH_VERSION = 1;

export type KillSwitchAction = "revoke" | "reinstate";

export interface KillSwitchMessage {
  readonly version: typeof KILL_SWITCH_VERSION;
  readonly action: KillSwitchAction;
  readonly tenant: string;
  readonly agent_id: string;
  /** Credentials to refuse even if presented by another agent id. */
  readonly credential_ids: readonly string[];
  /** The decision that caused it, or a manual-action id. */
  readonly decision_id: string;
  /** One sentence a gateway may show the caller. */
  readonly reason: string;
  /** RFC 3339. */
  readonly issued_at: string;
  /** RFC 3339, or null for "until reinstated". */
  readonly expires_at: string | null;
}

export type KillSwitchParse =
  | { readonly ok: true; readonly message: KillSwitchMessage }
  | { readonly ok: false; readonly problem: string };

function isStringArray(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.every((item) => typeof item === "string")
  );
}

/** Parses a kill-switch message from untrusted bytes; never throws. */
export function parseKillSwitchMessage(bytes: Uint8Array): KillSwitchParse {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  if (typeof value !== "object" || value === null)
    return { ok: false, problem: "not an object" };
  const record = value as Record<string, unknown>;
  if (record["version"] !== KILL_SWITCH_VERSION)
    return {
      ok: false,
      problem: `unsupported version ${String(record["version"])}`,
    };
  const action = record["action"];
  if (action !== "revoke" && action !== "reinstate")
    return { ok: false, problem: "action must be revoke or reinstate" };
  for (const field of [
    "tenant",
    "agent_id",
    "decision_id",
    "reason",
    "issued_at",
  ]) {
    if (typeof record[field] !== "string")
      return { ok: false, problem: `${field} must be a string` };
  }
  if (!isStringArray(record["credential_ids"]))
    return { ok: false, problem: "credential_ids must be an array of strings" };
  const expires = record["expires_at"];
  if (expires !== null && typeof expires !== "string")
    return { ok: false, problem: "expires_at must be a string or null" };
  return { ok: true, message: value as KillSwitchMessage };
}

export function encodeKillSwitchMessage(
  message: KillSwitchMessage,
): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}
