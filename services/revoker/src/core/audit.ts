import type { AgentAction } from "./action.js";

/**
 * One record on `warden.revocations.v1` per thing the revoker did (issue 6, Audit), keyed
 * by agent id. `sentence` is for a SOC analyst; the fields are for queries.
 */
export const AuditStep = {
  queued: "queued",
  delivered: "delivered",
  retrying: "retrying",
  refused: "refused",
  deadLettered: "dead_lettered",
  dropped: "dropped",
  killSwitch: "kill_switch",
  connector: "connector",
  awaitingApproval: "awaiting_approval",
  approved: "approved",
  denied: "denied",
} as const;
export type AuditStep = (typeof AuditStep)[keyof typeof AuditStep];

export interface AuditRecord {
  readonly schema: "warden-revocation/v1";
  readonly at: string;
  readonly step: AuditStep;
  readonly action: string;
  readonly txn: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly stream_id?: string;
  readonly receiver?: string;
  readonly jti?: string;
  readonly event_type?: string;
  readonly attempt?: number;
  /** The receiver's answer: HTTP status and RFC 8935 `err`, or the network error. */
  readonly outcome?: string;
  readonly delegation_chain: readonly string[];
  readonly sentence: string;
}

/** The chain from the agent back to its human owner, e.g. agent ← parent ← alice. */
export function delegationChain(
  action: Pick<AgentAction, "agentId" | "delegation" | "onBehalfOf" | "owner">,
): string[] {
  const chain = [action.agentId, ...[...action.delegation].reverse()];
  for (const person of [action.onBehalfOf, action.owner])
    if (person && !chain.includes(person)) chain.push(person);
  return chain.filter((item, index) => chain.indexOf(item) === index);
}

const VERB: Record<AuditStep, string> = {
  queued: "queued",
  delivered: "delivered",
  retrying: "could not deliver (will retry)",
  refused: "had refused by the receiver",
  dead_lettered: "dead-lettered",
  dropped: "dropped (stream disabled)",
  kill_switch: "set the kill switch for",
  connector: "called a connector about",
  awaiting_approval: "holds for human approval the revocation of",
  approved: "had approved the revocation of",
  denied: "had denied the revocation of",
};

function who(
  action: Pick<AgentAction, "agentId" | "delegation" | "onBehalfOf" | "owner">,
): string {
  const chain = delegationChain(action);
  if (chain.length === 1) return `agent ${action.agentId} (no known owner)`;
  const [, ...rest] = chain;
  return `agent ${action.agentId}, acting for ${rest.join(" for ")}`;
}

export function auditRecord(
  action: AgentAction,
  step: AuditStep,
  nowIso: string,
  detail: {
    readonly streamId?: string;
    readonly receiver?: string;
    readonly jti?: string;
    readonly eventType?: string;
    readonly attempt?: number;
    readonly outcome?: string;
  } = {},
): AuditRecord {
  const event = detail.eventType
    ? detail.eventType.replace(/^.*\//, "")
    : undefined;
  const target =
    step === AuditStep.killSwitch ||
    step === AuditStep.awaitingApproval ||
    step === AuditStep.approved ||
    step === AuditStep.denied
      ? who(action)
      : step === AuditStep.connector
        ? `${who(action)} (${detail.receiver ?? "?"})`
        : `${event ?? "an event"} about ${who(action)} for receiver ${detail.receiver ?? "?"} (stream ${detail.streamId ?? "?"})`;
  const because = action.reasonAdmin ? ` because ${action.reasonAdmin}` : "";
  const answer = detail.outcome ? `; receiver answered ${detail.outcome}` : "";
  const attempt =
    detail.attempt && detail.attempt > 1
      ? ` after ${detail.attempt} attempts`
      : "";
  return {
    schema: "warden-revocation/v1",
    at: nowIso,
    step,
    action: action.kind,
    txn: action.id,
    tenant: action.tenant,
    agent_id: action.agentId,
    ...(detail.streamId === undefined ? {} : { stream_id: detail.streamId }),
    ...(detail.receiver === undefined ? {} : { receiver: detail.receiver }),
    ...(detail.jti === undefined ? {} : { jti: detail.jti }),
    ...(detail.eventType === undefined ? {} : { event_type: detail.eventType }),
    ...(detail.attempt === undefined ? {} : { attempt: detail.attempt }),
    ...(detail.outcome === undefined ? {} : { outcome: detail.outcome }),
    delegation_chain: delegationChain(action),
    sentence: `Warden ${VERB[step]} ${target} (${action.kind}, decision ${action.id})${because}${attempt}${answer}.`,
  };
}
