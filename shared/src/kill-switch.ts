/**
 * The kill-switch contract between the revoker and gateways (the gateway SDK's enforcer).
 *
 * The revoker publishes one message per change on `warden.killswitch.<tenant>.<agent>`
 * (core NATS, for speed) and keeps the current state of every revoked agent in the KV
 * bucket `warden-revoked` under `revokedAgentKey(tenant, agent)` (names.ts), so a gateway that was
 * down re-syncs on start-up instead of letting a revoked agent through. Reinstatement
 * publishes `action: "reinstate"` and deletes the key.
 *
 * Every message is signed (issue 16: NATS is not trusted to say who may act). The bytes are
 * the message's JSON plus `jws`: a compact JWS (`typ` {@link KILL_SWITCH_JWS_TYPE}) by the
 * revoker's SET signing keys, whose payload is the message itself. The outer fields are a
 * readable copy for people and tools; a gateway acts only on the verified payload, and only
 * when its tenant and agent are those of the subject (or KV key) it arrived on. Gateways
 * clamp `issued_at` to their own clock, so no message can claim to be newer than now.
 *
 * This module has no runtime dependencies so that the gateway SDK can import it alone
 * (`@warden/shared/kill-switch`).
 */
export const KILL_SWITCH_VERSION = 1;
export const KILL_SWITCH_JWS_TYPE = "warden-killswitch+jwt";

/**
 * `hold` (issue 15: step-up means something for an agent): the agent may go on with ordinary
 * calls, but its sensitive ones ({@link HoldClass}, those listed in `hold.actions`) are refused
 * until its human owner approves. The revoker lifts a hold with `reinstate`, or turns it into a
 * `revoke` when nobody answered by `hold.answer_by`; the gateway never lifts it on its own.
 */
export type KillSwitchAction = "revoke" | "reinstate" | "hold";

/** The kinds of call a hold may cover (the policy's list: REVOKER_HOLD_ACTIONS). */
export const HOLD_CLASSES = [
  "export",
  "delete",
  "admin",
  "delegate",
  "send_external",
  "restricted",
] as const;
export type HoldClass = (typeof HOLD_CLASSES)[number];

/** What a hold covers and until when the owner may answer. */
export interface KillSwitchHold {
  readonly actions: readonly HoldClass[];
  /** RFC 3339: after this the revoker escalates to revoke. */
  readonly answer_by: string;
}

/** The parts of a call that make it sensitive (the audit event's fields of the same names). */
export interface CallDescription {
  readonly verb: string;
  /** Who receives what the call sends (payee, recipient, destination); set means external. */
  readonly counterparty?: string | undefined;
  readonly sensitivity?: string | undefined;
}

const VERB_CLASSES: Readonly<Record<string, HoldClass>> = {
  export: "export",
  delete: "delete",
  admin: "admin",
  delegate: "delegate",
};

/** The hold classes one call falls in (none: an ordinary call). Pure. */
export function holdClassesOf(call: CallDescription): HoldClass[] {
  const classes: HoldClass[] = [];
  const byVerb = VERB_CLASSES[call.verb];
  if (byVerb) classes.push(byVerb);
  // Reading from a counterparty sends nothing out; every other verb with one does.
  if (call.counterparty !== undefined && call.verb !== "read")
    classes.push("send_external");
  if (call.sensitivity === "restricted") classes.push("restricted");
  return classes;
}

function isHoldClassArray(value: unknown): value is HoldClass[] {
  return (
    Array.isArray(value) &&
    value.every((item) => (HOLD_CLASSES as readonly unknown[]).includes(item))
  );
}

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
  /** Present exactly when `action` is `hold`. */
  readonly hold?: KillSwitchHold;
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
  if (action !== "revoke" && action !== "reinstate" && action !== "hold")
    return { ok: false, problem: "action must be revoke, reinstate or hold" };
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
  const hold = record["hold"];
  if (action === "hold") {
    const fields =
      typeof hold === "object" && hold !== null
        ? (hold as Record<string, unknown>)
        : {};
    // An empty list would hold nothing: a hold must name what it holds.
    if (!isHoldClassArray(fields["actions"]) || fields["actions"].length === 0)
      return {
        ok: false,
        problem: `hold.actions must be a non-empty array of ${HOLD_CLASSES.join(", ")}`,
      };
    if (typeof fields["answer_by"] !== "string")
      return { ok: false, problem: "hold.answer_by must be a string" };
  } else if (hold !== undefined)
    return { ok: false, problem: "hold is allowed only with action hold" };
  return { ok: true, message: value as KillSwitchMessage };
}

/** The wire bytes of a message and its signature (`jws`, see above). */
export function encodeKillSwitchMessage(
  message: KillSwitchMessage,
  jws: string,
): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...message, jws }));
}

/** The `jws` of wire bytes, or undefined when there is none. Never throws. */
export function killSwitchSignature(bytes: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    const jws =
      typeof value === "object" && value !== null
        ? (value as Record<string, unknown>)["jws"]
        : undefined;
    return typeof jws === "string" ? jws : undefined;
  } catch {
    return undefined;
  }
}
