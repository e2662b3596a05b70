import type { AgentAction } from "./action.js";

/**
 * Human in the loop (issue 6): revoke decisions about agents matching an approval pattern
 * wait in a pending queue until a person approves or denies them, or until the timeout
 * applies the configured default. Manual actions and step-up never wait.
 */
export const ApprovalDefault = { revoke: "revoke", deny: "deny" } as const;
export type ApprovalDefault =
  (typeof ApprovalDefault)[keyof typeof ApprovalDefault];

export interface PendingApproval {
  readonly action: AgentAction;
  readonly requested_at_ms: number;
  readonly deadline_ms: number;
}

/**
 * Patterns are `<tenant>/<agent>` with `*` matching any run of characters, e.g. `acme/prod-*`
 * or `*\/payments-*`. Compiled once.
 */
export function compileApprovalPatterns(
  patterns: readonly string[],
): (tenant: string, agentId: string) => boolean {
  const regexes = patterns.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .split("*")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
        "s",
      ),
  );
  return (tenant, agentId) =>
    regexes.some((regex) => regex.test(`${tenant}/${agentId}`));
}

export function needsApproval(
  action: AgentAction,
  matches: (tenant: string, agentId: string) => boolean,
): boolean {
  return (
    action.kind === "revoke" &&
    action.initiatingEntity === "policy" &&
    matches(action.tenant, action.agentId)
  );
}

export function pendingApproval(
  action: AgentAction,
  nowMs: number,
  timeoutMs: number,
): PendingApproval {
  return { action, requested_at_ms: nowMs, deadline_ms: nowMs + timeoutMs };
}

/**
 * The held action as a verdict leaves it, for the audit trail: its reason says who decided and,
 * when the person gave one, why ("… (denied by soc: known batch job)").
 */
export function judgedAction(
  pending: PendingApproval,
  verdict: "approve" | "deny",
  by: string,
  note?: string,
): AgentAction {
  const verb = verdict === "approve" ? "approved" : "denied";
  const why = note ? `: ${note}` : "";
  return {
    ...pending.action,
    reasonAdmin: `${pending.action.reasonAdmin} (${verb} by ${by}${why})`,
  };
}

/** The action a person's (or the timeout's) verdict leads to: the revoke, or nothing. */
export function resolveApproval(
  pending: PendingApproval,
  verdict: "approve" | "deny",
  by: string,
  note?: string,
): AgentAction | undefined {
  if (verdict === "deny") return undefined;
  return judgedAction(pending, verdict, by, note);
}
