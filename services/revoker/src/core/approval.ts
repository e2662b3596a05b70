import type { HoldClass } from "@warden/shared";
import {
  ActionKind,
  escalatedAction,
  releaseAction,
  type AgentAction,
} from "./action.js";

/**
 * Human in the loop (issue 6): revoke decisions about agents matching an approval pattern
 * wait in a pending queue until a person approves or denies them, or until the timeout
 * applies the configured default. Manual actions never wait.
 *
 * A step-up (issue 15) is the other way round: it acts at once — the agent's sensitive calls
 * are held at the gateways — and waits in the same queue for the agent's owner. Approving
 * releases the hold; denying, or no answer by the hold's deadline, escalates to revoke.
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
  if (pending.action.kind === ActionKind.stepUp && by === "timeout")
    return {
      ...pending.action,
      reasonAdmin: `${pending.action.reasonAdmin} (step-up not approved by its owner in time; escalated to revoke)`,
    };
  const verb = verdict === "approve" ? "approved" : "denied";
  const why = note ? `: ${note}` : "";
  return {
    ...pending.action,
    reasonAdmin: `${pending.action.reasonAdmin} (${verb} by ${by}${why})`,
  };
}

/**
 * The action a person's (or the timeout's) verdict leads to: for a held revoke, the revoke or
 * nothing; for a step-up, the release of its hold or the revoke it escalates to.
 */
export function resolveApproval(
  pending: PendingApproval,
  verdict: "approve" | "deny",
  by: string,
  note?: string,
): AgentAction | undefined {
  const judged = judgedAction(pending, verdict, by, note);
  if (pending.action.kind === ActionKind.stepUp)
    return verdict === "approve"
      ? releaseAction(pending.action, judged.reasonAdmin)
      : escalatedAction(pending.action, judged.reasonAdmin);
  return verdict === "deny" ? undefined : judged;
}

/** What a step-up holds and until when, as its pending entry and kill-switch message carry it. */
export function stepUpPending(
  action: AgentAction,
  nowMs: number,
  policy: HoldPolicy,
): PendingApproval {
  const pending = pendingApproval(action, nowMs, policy.timeoutMs);
  return {
    ...pending,
    action: {
      ...action,
      hold: { actions: policy.actions, answerByMs: pending.deadline_ms },
    },
  };
}

/** The policy's hold (REVOKER_HOLD_ACTIONS, REVOKER_HOLD_TIMEOUT). */
export interface HoldPolicy {
  readonly actions: readonly HoldClass[];
  readonly timeoutMs: number;
}
