import { ActionKind, type AgentAction } from "./action.js";
import type { Descendant } from "./delegation-graph.js";

/**
 * The revocations a revoke causes below the agent (issue 6, Cascade): one action per
 * sub-agent, sharing the cause's id (so every SET carries the same `txn`), with its own
 * credentials and a reason naming the revoked ancestor. Other actions do not cascade:
 * a reinstated parent does not vouch for its children. Pure.
 */
export function cascadeActions(
  action: AgentAction,
  descendants: readonly Descendant[],
): AgentAction[] {
  if (action.kind !== ActionKind.revoke) return [];
  return descendants.map((descendant) => ({
    ...action,
    agentId: descendant.agentId,
    credentialIds: descendant.credentialIds,
    reasonAdmin: `delegated by ${descendant.path.slice(0, -1).join(" → ")}, revoked: ${action.reasonAdmin}`,
    // The chain from the root of the revocation down to this agent, then the parent's own chain up to its owner.
    delegation: [
      ...action.delegation.filter((id) => id !== action.agentId),
      ...descendant.path,
    ],
  }));
}
