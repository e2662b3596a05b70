import type { DecisionV1 } from "@warden/shared";

/**
 * The newest decisions a host keeps for `GET /v1/decisions?limit=N` (the all-in-one; issue 14
 * item 3): bounded, newest last. Older ones are in the decisions table and the log.
 */
export const DECISIONS_KEPT = 10_000;
export const DEFAULT_DECISION_LIMIT = 100;

export interface DecisionLog {
  add(decision: DecisionV1): void;
  /** The most recent `limit` decisions (of `tenant` only, when given), newest last. */
  latest(limit: number, tenant?: string): DecisionV1[];
  /** Every decision since start, by action (not only those kept). */
  counts(): Record<DecisionV1["action"], number>;
}

/** A bounded ring of the newest decisions: memory stays flat however long the process runs. */
export function createDecisionLog(kept = DECISIONS_KEPT): DecisionLog {
  const ring: DecisionV1[] = [];
  let next = 0;
  const counts = { alert: 0, step_up: 0, revoke: 0 };
  return {
    add(decision) {
      counts[decision.action] += 1;
      if (ring.length < kept) ring.push(decision);
      else ring[next] = decision;
      next = (next + 1) % kept;
    },
    latest(limit, tenant) {
      const ordered = (
        ring.length < kept
          ? ring
          : [...ring.slice(next), ...ring.slice(0, next)]
      ).filter((item) => tenant === undefined || item.tenant === tenant);
      return ordered.slice(Math.max(0, ordered.length - limit));
    },
    counts: () => ({ ...counts }),
  };
}

/** `?limit=N` of GET /v1/decisions: 1 to DECISIONS_KEPT, DEFAULT_DECISION_LIMIT when absent. */
export function readDecisionLimit(
  query: unknown,
): { ok: true; value: number } | { ok: false; message: string } {
  const raw = (query as Record<string, unknown> | undefined)?.["limit"];
  if (raw === undefined) return { ok: true, value: DEFAULT_DECISION_LIMIT };
  const value =
    typeof raw === "string" && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > DECISIONS_KEPT)
    return {
      ok: false,
      message: `limit must be a whole number from 1 to ${DECISIONS_KEPT}`,
    };
  return { ok: true, value };
}
