import {
  DEFAULT_MAX_EVENT_BYTES,
  acceptAuditMessage,
  type Rejection,
} from "@warden/ingest";
import type { ScoringEngine } from "@warden/detector";
import type { DecisionV1 } from "@warden/shared";

/**
 * `warden replay`'s core: audit events (one JSON per line) → the ingest's acceptance checks →
 * the detector's scoring engine, in file order, as if live. No I/O: the command feeds lines and
 * writes decisions.
 *
 * Time: a decision's `decided_at` is its trigger event's time, so the same file and policy give
 * byte-identical output. The ingest's wall-clock checks (events too far in the future, late
 * arrivals) mean nothing for history and are switched off; every other check applies.
 */
export interface ReplaySummary {
  lines: number;
  events: number;
  rejected: Partial<Record<Rejection, number>>;
  decisionsByAction: Record<string, number>;
  decisionsByDetector: Record<string, number>;
  decisionsByAgent: Map<string, number>;
  agents: Set<string>;
}

export function createReplaySummary(): ReplaySummary {
  return {
    lines: 0,
    events: 0,
    rejected: {},
    decisionsByAction: {},
    decisionsByDetector: {},
    decisionsByAgent: new Map(),
    agents: new Set(),
  };
}

const HISTORY = {
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  maxFutureSkewMs: Number.POSITIVE_INFINITY,
  lateAfterMs: Number.POSITIVE_INFINITY,
  nowMs: 0,
} as const;

const encoder = new TextEncoder();

/** Replays one line; returns the decision it caused, if any, and updates `summary`. */
export function replayLine(
  line: string,
  engine: ScoringEngine,
  summary: ReplaySummary,
): DecisionV1 | undefined {
  if (line.trim() === "") return undefined;
  summary.lines++;
  const accepted = acceptAuditMessage(encoder.encode(line), HISTORY);
  if (!accepted.ok) {
    summary.rejected[accepted.reason] =
      (summary.rejected[accepted.reason] ?? 0) + 1;
    return undefined;
  }
  const event = accepted.event;
  summary.events++;
  summary.agents.add(`${event.tenant}/${event.agent.id}`);
  const { decision } = engine.observe(event, event.time);
  if (!decision) return undefined;
  const detector = decision.reasons[0]?.detector ?? "none";
  const agent = `${event.tenant}/${event.agent.id}`;
  summary.decisionsByAction[decision.action] =
    (summary.decisionsByAction[decision.action] ?? 0) + 1;
  summary.decisionsByDetector[detector] =
    (summary.decisionsByDetector[detector] ?? 0) + 1;
  summary.decisionsByAgent.set(
    agent,
    (summary.decisionsByAgent.get(agent) ?? 0) + 1,
  );
  return decision;
}

/** The summary as human lines: events, agents, decisions by action and detector, top agents. */
export function formatReplaySummary(
  summary: ReplaySummary,
  topAgents = 10,
): string[] {
  const pairs = (record: Record<string, number>) =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([key, count]) => `${key} ${count}`)
      .join(", ") || "none";
  const top = [...summary.decisionsByAgent]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, topAgents);
  const rejected = Object.values(summary.rejected).reduce((a, b) => a + b, 0);
  return [
    `events: ${summary.events} accepted of ${summary.lines} lines (${rejected} rejected${rejected > 0 ? `: ${pairs(summary.rejected)}` : ""})`,
    `agents: ${summary.agents.size}`,
    `decisions by action: ${pairs(summary.decisionsByAction)}`,
    `decisions by detector: ${pairs(summary.decisionsByDetector)}`,
    `top agents: ${top.map(([agent, count]) => `${agent} ${count}`).join(", ") || "none"}`,
  ];
}
