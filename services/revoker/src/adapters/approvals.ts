import { describeError, type Logger } from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import {
  judgedAction,
  needsApproval,
  pendingApproval,
  resolveApproval,
  type ApprovalDefault,
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
    if (action) await options.handle(action);
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
            await decide(item.action.id, verdict, "timeout");
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

  return {
    async hold(action) {
      if (!needsApproval(action, options.matches)) return false;
      const pending = pendingApproval(action, Date.now(), options.timeoutMs);
      // Already pending (a redelivered decision): keep the first request and its deadline.
      if (!(await kv.create(kvKeyToken(action.id), JSON.stringify(pending))))
        return true;
      pendingCount += 1;
      await audit.write([
        auditRecord(
          action,
          AuditStep.awaitingApproval,
          new Date().toISOString(),
        ),
      ]);
      log.info(
        { decision_id: action.id, deadline_ms: pending.deadline_ms },
        "revocation held for approval",
      );
      return true;
    },
    list,
    onTimeout: options.defaultVerdict,
    decide,
    stop() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
