/**
 * What became of an incident (an agent's decisions in a time range), from the revoker's audit
 * trail: the last audit step after the agent's latest decision. Pure, for the console's
 * incident list (issue 19).
 */
export const IncidentState = {
  alerted: "alerted",
  awaitingApproval: "awaiting_approval",
  revoked: "revoked",
  steppedUp: "stepped_up",
  denied: "denied",
  reinstated: "reinstated",
} as const;
export type IncidentState = (typeof IncidentState)[keyof typeof IncidentState];

/** States after which nobody needs to look at the incident again. */
export const CLOSED_STATES: ReadonlySet<IncidentState> = new Set([
  IncidentState.denied,
  IncidentState.reinstated,
]);

export function incidentState(input: {
  /** The strongest decision's action. */
  readonly decisionAction: string;
  /** Time of the agent's latest decision in the range. */
  readonly lastDecisionMs: number;
  /** The latest audit record about the agent, if any. */
  readonly lastAudit?: {
    readonly action: string;
    readonly step: string;
    readonly atMs: number;
  };
}): IncidentState {
  const audit = input.lastAudit;
  // A reinstatement or a denial older than the latest decision does not close a newer incident.
  const current =
    audit !== undefined && audit.atMs >= input.lastDecisionMs
      ? audit
      : undefined;
  if (current?.action === "reinstate") return IncidentState.reinstated;
  if (current?.step === "denied") return IncidentState.denied;
  if (current?.step === "awaiting_approval")
    return IncidentState.awaitingApproval;
  if (current?.action === "revoke" || input.decisionAction === "revoke")
    return IncidentState.revoked;
  if (input.decisionAction === "step_up") return IncidentState.steppedUp;
  return IncidentState.alerted;
}
