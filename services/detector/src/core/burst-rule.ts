import { createHash } from "node:crypto";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";

/**
 * The walking skeleton's one rule: more than `maxCalls` calls by one agent within
 * `windowMs` of event time revokes it. Real detectors come with the detector issue.
 */
export interface BurstRule {
  readonly maxCalls: number;
  readonly windowMs: number;
}

export const DEFAULT_BURST_RULE: BurstRule = {
  maxCalls: 100,
  windowMs: 10_000,
};

/** Per-agent event times inside the window, oldest first. */
export type BurstState = Map<string, number[]>;

/** Feeds one event; returns a revoke decision the first time the agent crosses the limit in a window. */
export function observeBurst(
  state: BurstState,
  rule: BurstRule,
  event: CanonicalEvent,
  nowIso: string,
): DecisionV1 | undefined {
  const key = `${event.tenant}\u0000${event.agent.id}`;
  const times = state.get(key) ?? [];
  times.push(event.time_ms);
  while (times.length > 0 && (times[0] ?? 0) <= event.time_ms - rule.windowMs)
    times.shift();
  state.set(key, times);
  if (times.length !== rule.maxCalls + 1) return undefined;
  const windowSeconds = rule.windowMs / 1000;
  return {
    schema: "agent-decision/v1",
    // Deterministic: replaying the same events yields the same id, so downstream stays idempotent.
    decision_id: createHash("sha256")
      .update(`burst\u0000${key}\u0000${event.event_id}`)
      .digest("hex")
      .slice(0, 32),
    tenant: event.tenant,
    agent_id: event.agent.id,
    action: "revoke",
    risk: 1,
    at: event.time,
    decided_at: nowIso,
    trigger_event_id: event.event_id,
    credential_ids: [event.credential.id],
    delegation: [...event.delegation],
    ...(event.agent.owner ? { owner: event.agent.owner } : {}),
    reasons: [
      {
        detector: "burst",
        score: 1,
        summary: `${times.length} calls in ${windowSeconds} s; the limit is ${rule.maxCalls} per ${windowSeconds} s`,
        observed: times.length,
        expected: rule.maxCalls,
      },
    ],
  };
}
