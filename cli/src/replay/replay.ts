import {
  DEFAULT_MAX_EVENT_BYTES,
  acceptAuditMessage,
  type Rejection,
} from "@warden/ingest";
import type { ScoringEngine } from "@warden/detector";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";
import type { EventTimeBaselines } from "@warden/baseline";

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

/** The ingest's acceptance checks on one line; the event, or undefined (counted in `summary`). */
export function acceptLine(
  line: string,
  summary: ReplaySummary,
): CanonicalEvent | undefined {
  if (line.trim() === "") return undefined;
  summary.lines++;
  const accepted = acceptAuditMessage(encoder.encode(line), HISTORY);
  if (accepted.ok) return accepted.event;
  summary.rejected[accepted.reason] =
    (summary.rejected[accepted.reason] ?? 0) + 1;
  return undefined;
}

/** An event read again to leave the baselines' window: the same checks, nothing counted. */
export function reacceptLine(line: string): CanonicalEvent | undefined {
  if (line.trim() === "") return undefined;
  const accepted = acceptAuditMessage(encoder.encode(line), HISTORY);
  return accepted.ok ? accepted.event : undefined;
}

/**
 * Scores one accepted event; returns the decision it caused, if any. With `baselines` the
 * agent is scored against the models as of the current refresh tick (the caller has advanced
 * the clock and expired what left the window), and the event then joins the history.
 */
export function scoreEvent(
  event: CanonicalEvent,
  engine: ScoringEngine,
  summary: ReplaySummary,
  baselines?: EventTimeBaselines,
): DecisionV1 | undefined {
  summary.events++;
  summary.agents.add(`${event.tenant}/${event.agent.id}`);
  baselines?.prepare(event, engine.baselines);
  const { decision } = engine.observe(event, event.time);
  baselines?.record(event);
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

/**
 * Replays a whole in-memory list of lines (tests, small files): expiry reads the same list
 * a second time behind the first, as the command reads the file twice.
 */
export function replayLines(
  lines: readonly string[],
  engine: ScoringEngine,
  summary: ReplaySummary,
  baselines?: EventTimeBaselines,
): DecisionV1[] {
  const decisions: DecisionV1[] = [];
  const expiry = createExpiryCursor(baselines);
  let behind = 0;
  for (const line of lines) {
    const event = acceptLine(line, summary);
    if (!event) continue;
    const windowStart = baselines?.advance(event.time_ms);
    if (windowStart !== undefined)
      while (
        behind < lines.length &&
        expiry.offer(lines[behind] as string, windowStart)
      )
        behind++;
    const decision = scoreEvent(event, engine, summary, baselines);
    if (decision) decisions.push(decision);
  }
  return decisions;
}

/**
 * The trailing reader of the baselines' window. `offer` takes the next line of the second
 * pass: an event older than the window start is removed from the history and true returned
 * (take the next line); an event still inside keeps the cursor there (false). Lines that were
 * rejected the first time are skipped.
 */
export function createExpiryCursor(baselines: EventTimeBaselines | undefined): {
  offer(line: string, windowStartMs: number): boolean;
} {
  return {
    offer(line, windowStartMs) {
      const event = reacceptLine(line);
      if (!event) return true;
      if (event.time_ms >= windowStartMs) return false;
      baselines?.expire(event);
      return true;
    },
  };
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
