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
  apply(action: AgentAction, nowIso: string): Promise<KillSwitchMessage>;
}

/** What the revoked caller is told: the user-facing reason, never detector internals (issue 16). */
export function killSwitchMessage(
  action: AgentAction,
  nowIso: string,
): KillSwitchMessage {
  return {
    version: 1,
    action: action.kind === "reinstate" ? "reinstate" : "revoke",
    tenant: action.tenant,
    agent_id: action.agentId,
    credential_ids: action.credentialIds,
    decision_id: action.id,
    reason: action.reasonUser,
    issued_at: nowIso,
    expires_at: null,
  };
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
  for await (const key of await kv.keys()) {
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
      const message = killSwitchMessage(action, nowIso);
      const bytes = await signedKillSwitchMessage(keys, message);
      const key = revokedAgentKey(action.tenant, action.agentId);
      // State first, so a gateway that re-syncs after missing the message still sees it.
      if (message.action === "revoke") await kv.put(key, bytes);
      else await kv.delete(key);
      connection.publish(
        names.killSwitchSubject(action.tenant, action.agentId),
        bytes,
      );
      await connection.flush();
      return message;
    },
  };
}
