import type { DecisionV1, HoldClass } from "@warden/shared";

/**
 * What the revoker does about one agent, whatever caused it: a detector decision or a
 * person's manual revoke / reinstate. Every SET, kill-switch message and audit record is
 * built from this one shape.
 */
export const ActionKind = {
  revoke: "revoke",
  stepUp: "step_up",
  reinstate: "reinstate",
  /** The owner approved a step-up: the hold is lifted (only a hold: never a revoke). */
  release: "release",
  /** Tells receivers that asked for CAEP risk-level-change; moves no kill switch, calls no connector. */
  alert: "alert",
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

/** CAEP `initiating_entity` values Warden uses. */
export type InitiatingEntity = "policy" | "admin" | "system";

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
  /** CAEP risk-level-change `current_level` this action reports (issue 17). */
  readonly riskLevel: RiskLevel;
  /**
   * The level last reported for this agent (`previous_level`); set by the transmitter from
   * its risk-level store, undefined when none was reported or no store is kept.
   */
  readonly previousRiskLevel?: RiskLevel | undefined;
  /** The detector judged a credential compromised (shared, stolen, foreign network): RISC credential-compromise. */
  readonly credentialCompromised: boolean;
  /** Human owner, on-behalf-of and delegation chain, for the audit sentence. */
  readonly owner: string | undefined;
  readonly onBehalfOf: string | undefined;
  readonly delegation: readonly string[];
  /** A step-up's hold at the gateways: what it covers and when the owner's answer is due. */
  readonly hold?: ActionHold;
}

export interface ActionHold {
  readonly actions: readonly HoldClass[];
  readonly answerByMs: number;
}

/** CAEP 1.0 risk-level-change levels. */
export const RiskLevel = {
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
} as const;
export type RiskLevel = (typeof RiskLevel)[keyof typeof RiskLevel];

/** Risk at or above which an alert reports MEDIUM / HIGH; below MEDIUM it is LOW (recovered). */
export const RISK_MEDIUM_AT = 0.4;
export const RISK_HIGH_AT = 0.7;
/** The detector whose findings mean the credential itself is compromised (shared, foreign network). */
export const CREDENTIAL_COMPROMISE_DETECTORS: readonly string[] = [
  "credential_misuse",
];

export const DEFAULT_TENANT = "default";
export const USER_REASON = {
  revoke: "Access was suspended by the security policy.",
  step_up: "Sensitive actions are held until the agent's owner approves them.",
  reinstate: "Access was restored.",
  release: "The agent's owner approved; sensitive actions are allowed again.",
  alert: "Unusual activity was noticed.",
} as const satisfies Record<ActionKind, string>;

/** The action an owner's approval of a step-up leads to: the hold lifted, risk back to LOW. Pure. */
export function releaseAction(
  stepUp: AgentAction,
  reasonAdmin: string,
): AgentAction {
  return settledStepUp(stepUp, ActionKind.release, reasonAdmin, RiskLevel.low);
}

/** A step-up its owner refused or left unanswered, as a revoke of the same decision. Pure. */
export function escalatedAction(
  stepUp: AgentAction,
  reasonAdmin: string,
): AgentAction {
  return settledStepUp(stepUp, ActionKind.revoke, reasonAdmin, RiskLevel.high);
}

/** A step-up once its owner answered (or did not): the same decision, its hold gone. */
function settledStepUp(
  stepUp: AgentAction,
  kind: typeof ActionKind.release | typeof ActionKind.revoke,
  reasonAdmin: string,
  riskLevel: RiskLevel,
): AgentAction {
  const { hold: _hold, ...rest } = stepUp;
  return {
    ...rest,
    kind,
    reasonAdmin,
    reasonUser: USER_REASON[kind],
    riskLevel,
  };
}

/**
 * The level a decision reports: revoke and step-up are HIGH (the receiver should re-check
 * the agent now); an alert follows its risk, so an alert below RISK_MEDIUM_AT is the way back
 * to LOW once the agent recovers.
 */
export function riskLevelOf(
  action: DecisionV1["action"],
  risk: number | undefined,
): RiskLevel {
  if (action !== "alert") return RiskLevel.high;
  if (risk === undefined || risk >= RISK_HIGH_AT) return RiskLevel.high;
  return risk >= RISK_MEDIUM_AT ? RiskLevel.medium : RiskLevel.low;
}

const KIND_OF_DECISION = {
  revoke: ActionKind.revoke,
  step_up: ActionKind.stepUp,
  alert: ActionKind.alert,
} as const satisfies Record<DecisionV1["action"], ActionKind>;

/** The action for a decision. Pure. */
export function actionFromDecision(
  decision: DecisionV1,
  nowSeconds: number,
): AgentAction {
  const atMs = Date.parse(decision.at);
  return {
    kind: KIND_OF_DECISION[decision.action],
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
    riskLevel: riskLevelOf(decision.action, decision.risk),
    credentialCompromised:
      decision.action !== "alert" &&
      decision.reasons.some((reason) =>
        CREDENTIAL_COMPROMISE_DETECTORS.includes(reason.detector),
      ),
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
    // A person's revoke is as serious as the policy's; reinstating is the recovery.
    riskLevel:
      input.kind === ActionKind.revoke ? RiskLevel.high : RiskLevel.low,
    credentialCompromised: false,
    owner: undefined,
    onBehalfOf: undefined,
    delegation: [],
  };
}
