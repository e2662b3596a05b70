import type { KV, NatsConnection } from "nats";
import {
  KILL_SWITCH_JWS_TYPE,
  encodeKillSwitchMessage,
  killSwitchSignature,
  parseKillSwitchMessage,
  revokedAgentKey,
  type KillSwitchMessage,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import type { SigningKeys } from "../signing-key.js";

/**
 * The gateway contract of shared/src/kill-switch.ts: the current state in the KV bucket
 * `names.revokedAgentsBucket` (key `<tenant>.<agent>`, KV-escaped: revokedAgentKey in shared names) for gateways that
 * re-sync, and one message per change on the kill-switch subject for speed. Every message is
 * signed with the revoker's SET keys (the JWKS gateways verify with).
 */
export interface KillSwitch {
  /**
   * Sets the agent's state for a revoke, reinstate, step-up (hold) or release; undefined
   * when the current state outranks it (a hold never downgrades a revoke, a release lifts
   * only a hold).
   */
  apply(
    action: AgentAction,
    nowIso: string,
  ): Promise<KillSwitchMessage | undefined>;
}

/** What the revoked caller is told: the user-facing reason, never detector internals (issue 16). */
export function killSwitchMessage(
  action: AgentAction,
  nowIso: string,
): KillSwitchMessage {
  const hold = action.kind === "step_up" ? action.hold : undefined;
  return {
    version: 1,
    action:
      action.kind === "reinstate" || action.kind === "release"
        ? "reinstate"
        : hold
          ? "hold"
          : "revoke",
    tenant: action.tenant,
    agent_id: action.agentId,
    credential_ids: action.credentialIds,
    decision_id: action.id,
    reason: action.reasonUser,
    issued_at: nowIso,
    expires_at: null,
    ...(hold
      ? {
          hold: {
            actions: [...hold.actions],
            answer_by: new Date(hold.answerByMs).toISOString(),
          },
        }
      : {}),
  };
}

/**
 * What an action does to the agent's stored state, given the state now. Pure. A step-up
 * reaches the gateways as a hold only if the agent is not already revoked, and an owner's
 * approval lifts a hold but never a revoke that came meanwhile.
 */
export function killSwitchWrite(
  action: AgentAction,
  current: KillSwitchMessage | undefined,
): "put" | "delete" | "keep" {
  switch (action.kind) {
    case "revoke":
      return "put";
    case "reinstate":
      return "delete";
    case "step_up":
      return current?.action === "revoke" ? "keep" : "put";
    case "release":
      return current?.action === "hold" ? "delete" : "keep";
    case "alert":
      return "keep";
  }
}

function storedMessage(
  bytes: Uint8Array | undefined,
): KillSwitchMessage | undefined {
  if (bytes === undefined) return undefined;
  const parsed = parseKillSwitchMessage(bytes);
  return parsed.ok ? parsed.message : undefined;
}

/** The wire bytes of a message, signed (the all-in-one's kill switch signs the same way). */
export async function signedKillSwitchMessage(
  keys: SigningKeys,
  message: KillSwitchMessage,
): Promise<Uint8Array> {
  const jws = await keys.sign(
    { ...message, iat: Math.floor(Date.parse(message.issued_at) / 1000) },
    KILL_SWITCH_JWS_TYPE,
  );
  return encodeKillSwitchMessage(message, jws);
}

/**
 * Entries an older revoker wrote without a signature would be refused by every gateway —
 * un-revoking those agents on upgrade — so they are signed in place once, at start-up. The
 * bucket is writable by the revoker alone (deploy/), so its content is the revoker's own.
 */
async function signLegacyEntries(
  kv: KV,
  keys: SigningKeys,
  logger: Logger,
): Promise<void> {
  let count = 0;
  // Keys first: a kv.get while nats.js's keys() iterator is open ends the iteration early.
  const all: string[] = [];
  for await (const key of await kv.keys()) all.push(key);
  for (const key of all) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== "PUT") continue;
    if (killSwitchSignature(entry.value) !== undefined) continue;
    const parsed = parseKillSwitchMessage(entry.value);
    if (!parsed.ok) continue;
    await kv.put(key, await signedKillSwitchMessage(keys, parsed.message));
    count += 1;
  }
  if (count > 0)
    logger.info({ count }, "unsigned kill-switch entries signed in place");
}

/**
 * A hold or a release, written only if the state it reads allows it (killSwitchWrite) and
 * compare-and-set on that read, so a revoke written in between is neither overwritten by the
 * hold nor deleted by the release. False when it was not written.
 */
async function writeIfOutranked(
  kv: KV,
  key: string,
  action: AgentAction,
  bytes: Uint8Array,
): Promise<boolean> {
  for (;;) {
    const entry = await kv.get(key);
    const live = entry?.operation === "PUT" ? entry : undefined;
    const write = killSwitchWrite(action, storedMessage(live?.value));
    if (write === "keep") return false;
    try {
      if (write === "delete" && entry)
        await kv.delete(key, { previousSeq: entry.revision });
      else if (entry) await kv.put(key, bytes, { previousSeq: entry.revision });
      else await kv.create(key, bytes);
      return true;
    } catch (error) {
      // Someone wrote the key since the read (wrong last sequence): judge again on the new state.
      if (!/wrong last sequence|key exists/i.test(String(error))) throw error;
    }
  }
}

export async function openKillSwitch(
  connection: NatsConnection,
  names: WardenNames,
  keys: SigningKeys,
  logger: Logger,
): Promise<KillSwitch> {
  const kv: KV = await connection
    .jetstream()
    .views.kv(names.revokedAgentsBucket, { history: 1 });
  await signLegacyEntries(kv, keys, logger);
  return {
    async apply(action, nowIso) {
      const key = revokedAgentKey(action.tenant, action.agentId);
      const message = killSwitchMessage(action, nowIso);
      const bytes = await signedKillSwitchMessage(keys, message);
      // State first, so a gateway that re-syncs after missing the message still sees it.
      if (action.kind === "revoke") await kv.put(key, bytes);
      else if (action.kind === "reinstate") await kv.delete(key);
      else if (!(await writeIfOutranked(kv, key, action, bytes)))
        return undefined;
      connection.publish(
        names.killSwitchSubject(action.tenant, action.agentId),
        bytes,
      );
      await connection.flush();
      return message;
    },
  };
}
