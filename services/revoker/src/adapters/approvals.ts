import { describeError, type Logger } from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import {
  judgedAction,
  needsApproval,
  pendingApproval,
  resolveApproval,
  stepUpPending,
  type ApprovalDefault,
  type HoldPolicy,
  type PendingApproval,
} from "../core/approval.js";
import { AuditStep, auditRecord } from "../core/audit.js";
import { kvKeyToken } from "@warden/shared";
import type { RevokerMetrics } from "../metrics.js";
import type { KeyValue } from "../core/ports.js";
import type { AuditLog } from "./audit-log.js";

export type Verdict = "approve" | "deny";

export interface Approvals {
  /** Puts the action in the pending queue if it needs approval; true if it did (or already had). */
  hold(action: AgentAction): Promise<boolean>;
  /**
   * What to carry out now for an incoming action: undefined while a revoke waits for approval;
   * a step-up with its hold (actions and deadline) after it is queued for its owner; any other
   * action as it is.
   */
  gate(action: AgentAction): Promise<AgentAction | undefined>;
  list(): Promise<PendingApproval[]>;
  /** What the timeout applies to a held revocation nobody answered. */
  readonly onTimeout: ApprovalDefault;
  /**
   * Applies a verdict (with the person's reason, kept in the audit trail); false when nothing
   * is pending under that decision id.
   */
  decide(
    decisionId: string,
    verdict: Verdict,
    by: string,
    note?: string,
  ): Promise<boolean>;
  /**
   * Settles everything pending for one agent because an admin reinstated it: a step-up's hold
   * is answered as approved (so its deadline no longer escalates it to revoke), a held revoke
   * as denied; audited with `by`. Returns how many were settled.
   */
  withdraw(tenant: string, agentId: string, by: string): Promise<number>;
  stop(): Promise<void>;
}

const TIMEOUT_CHECK_MS = 1_000;
/**
 * The pending queue, durable in a key-value store (key = the decision id, KV-escaped), so
 * held revocations survive a restart. A timer applies the configured default to those whose
 * deadline passed. A verdict runs the revoke first and removes the entry after, so a crash in
 * between repeats the revoke (idempotent by jti) rather than losing it.
 */
export async function startApprovals(options: {
  readonly kv: KeyValue;
  readonly matches: (tenant: string, agentId: string) => boolean;
  readonly timeoutMs: number;
  readonly defaultVerdict: ApprovalDefault;
  /** What a step-up holds and how long its owner has to answer. */
  readonly hold: HoldPolicy;
  readonly handle: (action: AgentAction) => Promise<void>;
  readonly audit: AuditLog;
  readonly metrics: RevokerMetrics;
  readonly logger: Logger;
}): Promise<Approvals> {
  const { audit, metrics } = options;
  const log = options.logger.child({ component: "approvals" });
  const { kv } = options;
  let pendingCount = 0;
  metrics.setPendingApprovalSource(() => pendingCount);

  async function list(): Promise<PendingApproval[]> {
    const pending: PendingApproval[] = [];
    for (const key of await kv.keys()) {
      const value = await kv.get(key);
      if (value !== undefined)
        pending.push(JSON.parse(value) as PendingApproval);
    }
    pendingCount = pending.length;
    return pending;
  }

  async function decide(
    decisionId: string,
    verdict: Verdict,
    by: string,
    note?: string,
  ): Promise<boolean> {
    const key = kvKeyToken(decisionId);
    const value = await kv.get(key);
    if (value === undefined) return false;
    const pending = JSON.parse(value) as PendingApproval;
    const action = resolveApproval(pending, verdict, by, note);
    // Another step-up of the same agent still waiting keeps the hold: only its own answer lifts it.
    const keepHold =
      action?.kind === "release" && (await otherHolds(pending)) > 0;
    if (action && !keepHold) await options.handle(action);
    await audit.write([
      auditRecord(
        judgedAction(pending, verdict, by, note),
        verdict === "approve" ? AuditStep.approved : AuditStep.denied,
        new Date().toISOString(),
        {
          receiver: by,
        },
      ),
    ]);
    await kv.delete(key);
    metrics.approvals
      .labels(verdict, by === "timeout" ? "timeout" : "person")
      .inc();
    pendingCount = Math.max(0, pendingCount - 1);
    return true;
  }

  async function withdraw(
    tenant: string,
    agentId: string,
    by: string,
  ): Promise<number> {
    const mine = (await list()).filter(
      (item) =>
        item.action.tenant === tenant && item.action.agentId === agentId,
    );
    for (const pending of mine) {
      // The reinstate that follows clears the kill switch itself: no release is sent here.
      const verdict: Verdict =
        pending.action.kind === "step_up" ? "approve" : "deny";
      await audit.write([
        auditRecord(
          judgedAction(pending, verdict, by, "reinstated"),
          verdict === "approve" ? AuditStep.approved : AuditStep.denied,
          new Date().toISOString(),
          { receiver: by },
        ),
      ]);
      await kv.delete(kvKeyToken(pending.action.id));
      metrics.approvals.labels(verdict, "person").inc();
    }
    pendingCount = Math.max(0, pendingCount - mine.length);
    return mine.length;
  }

  async function otherHolds(pending: PendingApproval): Promise<number> {
    const { tenant, agentId, id } = pending.action;
    return (await list()).filter(
      (item) =>
        item.action.kind === "step_up" &&
        item.action.id !== id &&
        item.action.tenant === tenant &&
        item.action.agentId === agentId,
    ).length;
  }

  async function awaitOwner(action: AgentAction): Promise<AgentAction> {
    const key = kvKeyToken(action.id);
    const pending = stepUpPending(action, Date.now(), options.hold);
    if (!(await kv.create(key, JSON.stringify(pending)))) {
      // A redelivered step-up: the first hold and its deadline stand.
      const existing = await kv.get(key);
      return existing === undefined
        ? pending.action
        : (JSON.parse(existing) as PendingApproval).action;
    }
    pendingCount += 1;
    await audit.write([
      auditRecord(
        pending.action,
        AuditStep.awaitingApproval,
        new Date().toISOString(),
      ),
    ]);
    log.info(
      { decision_id: action.id, deadline_ms: pending.deadline_ms },
      "step-up: sensitive actions held until the owner approves",
    );
    return pending.action;
  }

  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    const verdict: Verdict =
      options.defaultVerdict === "revoke" ? "approve" : "deny";
    list()
      .then(async (pending) => {
        for (const item of pending)
          if (Date.now() >= item.deadline_ms)
            // An unanswered step-up escalates to revoke, whatever the revoke default is.
            await decide(
              item.action.id,
              item.action.kind === "step_up" ? "deny" : verdict,
              "timeout",
            );
      })
      .catch((error: unknown) =>
        log.warn(
          { error: describeError(error) },
          "approval timeout check failed",
        ),
      )
      .finally(() => (checking = false));
  }, TIMEOUT_CHECK_MS);
  await list();

  async function hold(action: AgentAction): Promise<boolean> {
    if (!needsApproval(action, options.matches)) return false;
    const pending = pendingApproval(action, Date.now(), options.timeoutMs);
    // Already pending (a redelivered decision): keep the first request and its deadline.
    if (!(await kv.create(kvKeyToken(action.id), JSON.stringify(pending))))
      return true;
    pendingCount += 1;
    await audit.write([
      auditRecord(action, AuditStep.awaitingApproval, new Date().toISOString()),
    ]);
    log.info(
      { decision_id: action.id, deadline_ms: pending.deadline_ms },
      "revocation held for approval",
    );
    return true;
  }

  return {
    hold,
    async gate(action) {
      if (action.kind === "step_up") return awaitOwner(action);
      return (await hold(action)) ? undefined : action;
    },
    list,
    onTimeout: options.defaultVerdict,
    decide,
    withdraw,
    stop() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
