import { ActionKind, type AgentAction } from "./action.js";
import type { Descendant } from "./delegation-graph.js";

/**
 * Most sub-agents one revoke takes down with it (and, apart, most it holds for approval);
 * the rest is counted, not revoked (issue 16).
 */
export const DEFAULT_CASCADE_MAX_AGENTS = 100;

export interface CascadePlan {
  /** Revoked now, under the cause's id (so every SET carries the same `txn`). */
  readonly actions: readonly AgentAction[];
  /**
   * Sub-agents behind an approval pattern: their revoke waits for a person like any other
   * policy revoke of them would (id `<cause>/<agent>`, so each is approved on its own).
   * Nothing below them cascades until they are approved.
   */
  readonly held: readonly AgentAction[];
  /** Descendants past `maxAgents` (of either list), left alone. */
  readonly capped: number;
}

/**
 * The revocations a revoke causes below the agent (issue 6, Cascade): one action per
 * sub-agent, with its own credentials and a reason naming the revoked ancestor. Other
 * actions do not cascade: a reinstated parent does not vouch for its children. Issue 16: a
 * cascade is a policy action like any other, so it passes through approval, and it is capped
 * (nearest sub-agents first). Pure.
 */
export function planCascade(
  action: AgentAction,
  descendants: readonly Descendant[],
  options: {
    readonly maxAgents: number;
    readonly needsApproval: (tenant: string, agentId: string) => boolean;
  },
): CascadePlan {
  if (action.kind !== ActionKind.revoke)
    return { actions: [], held: [], capped: 0 };
  const actions: AgentAction[] = [];
  const held: AgentAction[] = [];
  const heldIds = new Set<string>();
  let capped = 0;
  for (const descendant of descendants) {
    // Below a held agent: decided when (if) that agent's revoke is approved.
    if (descendant.path.slice(1, -1).some((id) => heldIds.has(id))) continue;
    const cascaded: AgentAction = {
      ...action,
      agentId: descendant.agentId,
      credentialIds: descendant.credentialIds,
      reasonAdmin: `delegated by ${descendant.path.slice(0, -1).join(" → ")}, revoked: ${action.reasonAdmin}`,
      // The chain from the root of the revocation down to this agent, then the parent's own chain up to its owner.
      delegation: [
        ...action.delegation.filter((id) => id !== action.agentId),
        ...descendant.path,
      ],
    };
    const protectedAgent = options.needsApproval(
      action.tenant,
      descendant.agentId,
    );
    // Revoked now and held for approval are capped apart: a flood of one cannot hide the other.
    if ((protectedAgent ? held : actions).length >= options.maxAgents) {
      capped += 1;
      continue;
    }
    if (protectedAgent) {
      heldIds.add(descendant.agentId);
      // A policy action, so the approval gate (core/approval.ts) holds it.
      held.push({
        ...cascaded,
        id: `${action.id}/${descendant.agentId}`,
        initiatingEntity: "policy",
      });
    } else actions.push(cascaded);
  }
  return { actions, held, capped };
}
