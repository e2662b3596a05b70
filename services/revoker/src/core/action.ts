import type { DecisionV1 } from "@warden/shared";

/**
 * What the revoker does about one agent, whatever caused it: a detector decision or a
 * person's manual revoke / reinstate. Every SET, kill-switch message and audit record is
 * built from this one shape.
 */
export const ActionKind = {
  revoke: "revoke",
  stepUp: "step_up",
  reinstate: "reinstate",
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

/** CAEP `initiating_entity` values Warden uses. */
export type InitiatingEntity = "policy" | "admin";

export interface AgentAction {
  readonly kind: ActionKind;
  /** The decision id (or manual-action id): every SET's `txn`, so all SETs of one cause share it. */
  readonly id: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly credentialIds: readonly string[];
  /** Event time of the trigger, seconds (RFC 8417 `toe`, CAEP `event_timestamp`). */
  readonly eventTimeSeconds: number;
  readonly initiatingEntity: InitiatingEntity;
  /** For the SOC: what was observed. */
  readonly reasonAdmin: string;
  /** For the agent's user: no detector internals. */
  readonly reasonUser: string;
  readonly risk: number | undefined;
  /** Human owner, on-behalf-of and delegation chain, for the audit sentence. */
  readonly owner: string | undefined;
  readonly onBehalfOf: string | undefined;
  readonly delegation: readonly string[];
}

export const DEFAULT_TENANT = "default";
export const USER_REASON = {
  revoke: "Access was suspended by the security policy.",
  step_up: "Additional verification is required before continuing.",
  reinstate: "Access was restored.",
} as const satisfies Record<ActionKind, string>;

/** The action for a decision, or undefined for `alert` (nothing to send). Pure. */
export function actionFromDecision(
  decision: DecisionV1,
  nowSeconds: number,
): AgentAction | undefined {
  if (decision.action === "alert") return undefined;
  const atMs = Date.parse(decision.at);
  return {
    kind: decision.action === "revoke" ? ActionKind.revoke : ActionKind.stepUp,
    id: decision.decision_id,
    tenant: decision.tenant ?? DEFAULT_TENANT,
    agentId: decision.agent_id,
    credentialIds: [...new Set(decision.credential_ids ?? [])],
    // Seconds, never milliseconds (a known interop pain point, ../shared/SSF.md).
    eventTimeSeconds: Number.isFinite(atMs)
      ? Math.floor(atMs / 1000)
      : Math.floor(nowSeconds),
    initiatingEntity: "policy",
    reasonAdmin:
      decision.reasons.map((reason) => reason.summary).join("; ") ||
      "decided by policy",
    reasonUser: USER_REASON[decision.action],
    risk: decision.risk,
    owner: decision.owner,
    onBehalfOf: decision.on_behalf_of,
    delegation: decision.delegation ?? [],
  };
}

/** A person's revoke or reinstate (admin API). Pure. */
export function manualAction(input: {
  readonly kind: typeof ActionKind.revoke | typeof ActionKind.reinstate;
  readonly id: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly credentialIds?: readonly string[];
  readonly reason: string;
  readonly nowSeconds: number;
}): AgentAction {
  return {
    kind: input.kind,
    id: input.id,
    tenant: input.tenant,
    agentId: input.agentId,
    credentialIds: [...new Set(input.credentialIds ?? [])],
    eventTimeSeconds: Math.floor(input.nowSeconds),
    initiatingEntity: "admin",
    reasonAdmin: input.reason,
    reasonUser: USER_REASON[input.kind],
    risk: undefined,
    owner: undefined,
    onBehalfOf: undefined,
    delegation: [],
  };
}
