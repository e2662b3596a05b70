import {
  DEFAULT_DEDUP_MAX_ENTRIES,
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_MAX_EVENT_BYTES,
  acceptAuditMessage,
  createDeduplicator,
  ingestBatch,
  type IngestPorts,
  type Rejection,
} from "@warden/ingest";
import {
  createDetectorMetrics,
  createDetectorStage,
  type ScoringEngine,
} from "@warden/detector";
import {
  Registry,
  createLogger,
  type CanonicalEvent,
  type DecisionV1,
} from "@warden/shared";
import type { EventTimeBaselines } from "@warden/baseline";

/** Decisions go to the output, not the log; only trouble is worth a line on stderr. */
const REPLAY_LOGGER = createLogger({ level: "warn", service: "warden-replay" });

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
  /** Lines dropped because their event id was seen within the de-duplication window. */
  duplicates: number;
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
    duplicates: 0,
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

/** An event read again to leave the baselines' window: the same checks, nothing counted. */
export function reacceptLine(line: string): CanonicalEvent | undefined {
  if (line.trim() === "") return undefined;
  const accepted = acceptAuditMessage(encoder.encode(line), HISTORY);
  return accepted.ok ? accepted.event : undefined;
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export interface Replay {
  readonly summary: ReplaySummary;
  /** Feeds the file's next lines, in order (any batch size: the outcome is the same). */
  lines(lines: readonly string[]): Promise<void>;
  /**
   * Whether line `index` (0-based, blank lines included) never joined the baselines (rejected
   * or dropped as a duplicate), for the trailing pass, which must not remove what was never
   * added; `forget` drops the mark once the pass is past, so memory is bounded by the window.
   */
  skipped(index: number): boolean;
  forget(index: number): boolean;
}

/**
 * `warden replay` over the stages every host runs: each batch of lines goes through the
 * ingest's stage (checks, de-duplication in event time, rejected lines counted as the dead
 * letters they would be) and its events through the detector's stage (score, validate, route;
 * dry-run decided by the policy). With `baselines`, the clock is advanced to each event's
 * tick first and `expire` removes what left the window.
 */
export function createReplay(options: {
  readonly engine: ScoringEngine;
  /** Where the counts go (a fresh summary when absent). */
  readonly summary?: ReplaySummary;
  readonly baselines?: EventTimeBaselines | undefined;
  readonly expire?: (windowStartMs: number) => Promise<void> | void;
  readonly onDecision: (decision: DecisionV1) => Promise<void> | void;
  /** Event ids the de-duplication window holds at most (the ingest's default when absent). */
  readonly dedupMaxEntries?: number;
}): Replay {
  const { engine, baselines } = options;
  const summary = options.summary ?? createReplaySummary();
  let clockMs = 0;
  const deduplicator = createDeduplicator({
    windowMs: DEFAULT_DEDUP_WINDOW_MS,
    maxEntries: options.dedupMaxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES,
    now: () => clockMs,
  });
  const skipped = new Set<number>();
  let lineIndex = 0;
  let kept: readonly { readonly line: string; readonly index: number }[] = [];
  const detector = createDetectorStage({
    engine,
    ...(baselines ? { baselines } : {}),
    metrics: createDetectorMetrics(new Registry()),
    logger: REPLAY_LOGGER,
    decidedAt: (event) => event.time,
    nowMs: () => clockMs,
    ports: {
      async publish({ recorded }) {
        for (const decision of recorded) {
          count(summary.decisionsByAction, decision.action);
          count(
            summary.decisionsByDetector,
            decision.reasons[0]?.detector ?? "none",
          );
          const agent = `${decision.tenant ?? "default"}/${decision.agent_id}`;
          summary.decisionsByAgent.set(
            agent,
            (summary.decisionsByAgent.get(agent) ?? 0) + 1,
          );
          await options.onDecision(decision);
        }
      },
    },
  });
  const ports: IngestPorts = {
    async forward(events) {
      // Marked before any event moves the window, so the trailing pass never expires them.
      const forwarded = new Set(events.map(({ index }) => index));
      kept.forEach(({ index }, at) => {
        if (!forwarded.has(at)) skipped.add(index);
      });
      for (const { event } of events) {
        summary.events++;
        summary.agents.add(`${event.tenant}/${event.agent.id}`);
        clockMs = Math.max(clockMs, event.time_ms);
        const windowStart = baselines?.advance(event.time_ms);
        if (windowStart !== undefined) await options.expire?.(windowStart);
        await detector.run([{ event }]);
      }
    },
    deadLetter(rejected) {
      for (const { reason } of rejected) count(summary.rejected, reason);
      return Promise.resolve();
    },
  };
  return {
    summary,
    async lines(lines) {
      const first = lineIndex;
      lineIndex += lines.length;
      kept = lines.flatMap((line, offset) =>
        line.trim() === "" ? [] : [{ line, index: first + offset }],
      );
      summary.lines += kept.length;
      const outcomes = await ingestBatch(
        kept.map(({ line }) => encoder.encode(line)),
        HISTORY,
        deduplicator,
        ports,
      );
      outcomes.forEach((outcome, at) => {
        if (outcome.kind !== "duplicate") return;
        summary.duplicates++;
        skipped.add((kept[at] as { index: number }).index);
      });
    },
    skipped: (index) => skipped.has(index),
    forget: (index) => skipped.delete(index),
  };
}

/**
 * Replays a whole in-memory list of lines (tests, small files): expiry reads the same list
 * a second time behind the first, as the command reads the file twice.
 */
export async function replayLines(
  lines: readonly string[],
  engine: ScoringEngine,
  summary: ReplaySummary,
  baselines?: EventTimeBaselines,
): Promise<DecisionV1[]> {
  const decisions: DecisionV1[] = [];
  let behind = 0;
  const replay: Replay = createReplay({
    engine,
    summary,
    baselines,
    expire(windowStart) {
      while (
        behind < lines.length &&
        expiry.offer(lines[behind] as string, windowStart)
      )
        behind++;
    },
    onDecision: (decision) => void decisions.push(decision),
    // The cache allocates its bound up front: a short list needs no more than its length.
    dedupMaxEntries: Math.max(1, lines.length),
  });
  const expiry = createExpiryCursor(baselines, replay);
  for (const line of lines) await replay.lines([line]);
  return decisions;
}

/**
 * The trailing reader of the baselines' window. `offer` takes the next line of the second
 * pass: an event older than the window start is removed from the history and true returned
 * (take the next line); an event still inside keeps the cursor there (false). Lines that were
 * rejected or dropped as duplicates the first time are passed over.
 */
export function createExpiryCursor(
  baselines: EventTimeBaselines | undefined,
  replay: Pick<Replay, "skipped" | "forget">,
): {
  offer(line: string, windowStartMs: number): boolean;
} {
  let index = 0;
  return {
    offer(line, windowStartMs) {
      const event = reacceptLine(line);
      if (event && event.time_ms >= windowStartMs && !replay.skipped(index))
        return false;
      if (!replay.forget(index) && event) baselines?.expire(event);
      index++;
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
    `events: ${summary.events} accepted of ${summary.lines} lines (${rejected} rejected${rejected > 0 ? `: ${pairs(summary.rejected)}` : ""}${summary.duplicates > 0 ? `, ${summary.duplicates} duplicates` : ""})`,
    `agents: ${summary.agents.size}`,
    `decisions by action: ${pairs(summary.decisionsByAction)}`,
    `decisions by detector: ${pairs(summary.decisionsByDetector)}`,
    `top agents: ${top.map(([agent, count]) => `${agent} ${count}`).join(", ") || "none"}`,
  ];
}
