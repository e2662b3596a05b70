import {
  ActionKind,
  DEFAULT_TENANT,
  RiskLevel,
  type AgentAction,
} from "./action.js";

/**
 * The last CAEP risk level Warden reported for one agent, kept so that the next
 * risk-level-change carries `previous_level` and so that an agent whose alert is followed
 * by nothing for a while is reported back at LOW (recovery).
 */
export interface RiskRecord {
  readonly tenant: string;
  readonly agentId: string;
  readonly level: RiskLevel;
  /** What reported it: a revoked agent recovers by reinstatement only, never by quiet. */
  readonly kind: ActionKind;
  readonly atSeconds: number;
}

/** KV key of an agent's record: tenant and agent id, both percent-encoded (KV keys allow no `/`, ` `, `*`). */
export function riskKey(tenant: string, agentId: string): string {
  const safe = (text: string) =>
    encodeURIComponent(text).replace(
      /[!'()*~.]/g,
      (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  // Prefixed so that no token is empty (NATS KV keys allow no empty token).
  return `t${safe(tenant)}.a${safe(agentId)}`.replaceAll("%", "=");
}

/** The record an action leaves behind. Pure. */
export function riskRecordOf(action: AgentAction): RiskRecord {
  return {
    tenant: action.tenant,
    agentId: action.agentId,
    level: action.riskLevel,
    kind: action.kind,
    atSeconds: action.eventTimeSeconds,
  };
}

/** A stored record, or undefined when it is not one (a foreign or damaged value is ignored). */
export function parseRiskRecord(text: string): RiskRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<RiskRecord>;
    const levels: readonly string[] = Object.values(RiskLevel);
    const kinds: readonly string[] = Object.values(ActionKind);
    if (
      typeof value.tenant === "string" &&
      typeof value.agentId === "string" &&
      typeof value.level === "string" &&
      levels.includes(value.level) &&
      typeof value.kind === "string" &&
      kinds.includes(value.kind) &&
      typeof value.atSeconds === "number"
    )
      return value as RiskRecord;
  } catch {
    // Not JSON: treated as no record.
  }
  return undefined;
}

/**
 * Whether the agent has recovered: its last report was an alert above LOW, and nothing
 * followed for `afterSeconds` (0 = never). A held agent (step-up) recovers when its owner
 * releases it, a revoked one when reinstated: both report LOW themselves.
 */
export function recoveryDue(
  record: RiskRecord,
  nowSeconds: number,
  afterSeconds: number,
): boolean {
  return (
    afterSeconds > 0 &&
    record.level !== RiskLevel.low &&
    record.kind === ActionKind.alert &&
    nowSeconds - record.atSeconds >= afterSeconds
  );
}

const RECOVERED_USER_REASON = "Activity is back to normal.";

/** The alert that reports a recovered agent back at LOW (only risk-level-change, no kill switch). Pure. */
export function recoveryAction(
  record: RiskRecord,
  nowSeconds: number,
  afterSeconds: number,
): AgentAction {
  const at = Math.floor(nowSeconds);
  return {
    kind: ActionKind.alert,
    id: `recovery-${riskKey(record.tenant || DEFAULT_TENANT, record.agentId)}-${at}`,
    tenant: record.tenant,
    agentId: record.agentId,
    credentialIds: [],
    eventTimeSeconds: at,
    initiatingEntity: "system",
    reasonAdmin: `no finding for ${Math.round(afterSeconds)} s after a ${record.level} report`,
    reasonUser: RECOVERED_USER_REASON,
    risk: 0,
    riskLevel: RiskLevel.low,
    previousRiskLevel: record.level,
    credentialCompromised: false,
    owner: undefined,
    onBehalfOf: undefined,
    delegation: [],
  };
}
