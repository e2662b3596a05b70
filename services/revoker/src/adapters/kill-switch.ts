import type { KV, NatsConnection } from "nats";
import {
  encodeKillSwitchMessage,
  type KillSwitchMessage,
  type WardenNames,
} from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import { revokedAgentKey } from "@warden/shared";

/**
 * The gateway contract of shared/src/kill-switch.ts: the current state in the KV bucket
 * `names.revokedAgentsBucket` (key `<tenant>.<agent>`, KV-escaped: revokedAgentKey in shared names) for gateways that
 * re-sync, and one message per change on the kill-switch subject for speed.
 */
export interface KillSwitch {
  apply(action: AgentAction, nowIso: string): Promise<KillSwitchMessage>;
}

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
    reason: action.reasonAdmin,
    issued_at: nowIso,
    expires_at: null,
  };
}

export async function openKillSwitch(
  connection: NatsConnection,
  names: WardenNames,
): Promise<KillSwitch> {
  const kv: KV = await connection
    .jetstream()
    .views.kv(names.revokedAgentsBucket, { history: 1 });
  return {
    async apply(action, nowIso) {
      const message = killSwitchMessage(action, nowIso);
      const key = revokedAgentKey(action.tenant, action.agentId);
      // State first, so a gateway that re-syncs after missing the message still sees it.
      if (message.action === "revoke")
        await kv.put(key, encodeKillSwitchMessage(message));
      else await kv.delete(key);
      connection.publish(
        names.killSwitchSubject(action.tenant, action.agentId),
        encodeKillSwitchMessage(message),
      );
      await connection.flush();
      return message;
    },
  };
}
