import { writeFile } from "node:fs/promises";
import { sleep } from "@warden/shared";
import { generateEvents, type Generated, type Plan } from "./generator.js";
import { createLabelTracker, type LabelRecord } from "./labels.js";
import type { EventSink } from "./sinks/sink.js";

/**
 * Drives a plan into a sink: batches the generator's events, waits for the sink between
 * batches, and in live mode holds each event until its event time comes round on the wall
 * clock. Labels are written once the run ends (their counts are only known then).
 */
export interface RunOptions {
  readonly plan: Plan;
  readonly sink: EventSink;
  readonly batchSize: number;
  /** Live: emit each event when the wall clock reaches its time; fast: as quickly as the sink takes them. */
  readonly live: boolean;
  readonly labelsPath: string | undefined;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /** Wall clock, injectable so live pacing can be tested without waiting. */
  readonly now?: () => number;
  readonly wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Progress {
  readonly events: number;
  /** Share of the simulated time already emitted, 0–1. */
  readonly done: number;
  readonly elapsedMs: number;
}

export interface RunSummary {
  readonly seed: number;
  readonly agents: number;
  readonly start: string;
  readonly end: string;
  readonly scale: number;
  readonly events: number;
  readonly attack_events: number;
  readonly bytes: number;
  readonly rejected: number;
  readonly output: string;
  readonly labels_file: string | null;
  readonly labels: readonly Pick<
    LabelRecord,
    "id" | "class" | "kind" | "agent_id" | "start" | "end" | "event_count"
  >[];
  readonly skipped: readonly {
    readonly kind: string;
    readonly reason: string;
  }[];
  readonly interrupted: boolean;
  readonly elapsed_seconds: number;
  readonly events_per_second: number;
}

// In live mode, hold at most this long between checks so an interrupt is noticed quickly.
const LIVE_MAX_WAIT_MS = 1_000;
const PROGRESS_EVERY_MS = 250;

export async function runSimulation(options: RunOptions): Promise<RunSummary> {
  const { plan, sink } = options;
  const now = options.now ?? Date.now;
  const wait = options.wait ?? sleep;
  const tracker = createLabelTracker(plan.population, plan.scenario.episodes);
  const startedAt = now();
  let events = 0;
  let attackEvents = 0;
  let lastProgressAt = -Infinity;
  let batch: Generated[] = [];
  const report = (timeMs: number, force = false): void => {
    const at = now();
    if (
      !options.onProgress ||
      (!force && at - lastProgressAt < PROGRESS_EVERY_MS)
    )
      return;
    lastProgressAt = at;
    options.onProgress({
      events,
      done: Math.min(1, (timeMs - plan.startMs) / (plan.endMs - plan.startMs)),
      elapsedMs: at - startedAt,
    });
  };
  const flush = async (timeMs: number): Promise<void> => {
    if (batch.length === 0) return;
    await sink.write(batch);
    batch = [];
    report(timeMs);
  };
  let interrupted = false;
  let lastTimeMs = plan.startMs;
  try {
    for (const generated of generateEvents(plan)) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (options.live) {
        // Send what is due before sleeping until this event's time.
        while (generated.timeMs > now() && !options.signal?.aborted) {
          await flush(generated.timeMs);
          await wait(
            Math.min(LIVE_MAX_WAIT_MS, generated.timeMs - now()),
            options.signal,
          ).catch(() => undefined);
        }
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
      }
      tracker.observe(generated);
      lastTimeMs = generated.timeMs;
      events += 1;
      if (generated.episode?.class === "attack") attackEvents += 1;
      batch.push(generated);
      if (batch.length >= options.batchSize) await flush(generated.timeMs);
    }
    await flush(lastTimeMs);
  } catch (error) {
    await sink.close().catch(() => undefined);
    throw error;
  }
  const sinkReport = await sink.close();
  report(interrupted ? lastTimeMs : plan.endMs, true);
  const labels = tracker.labels();
  if (options.labelsPath !== undefined)
    await writeFile(
      options.labelsPath,
      labels.map((label) => `${JSON.stringify(label)}\n`).join(""),
    );
  const elapsedMs = Math.max(1, now() - startedAt);
  return {
    seed: plan.seed,
    agents: plan.population.size,
    start: new Date(plan.startMs).toISOString(),
    end: new Date(plan.endMs).toISOString(),
    scale: plan.scale,
    events,
    attack_events: attackEvents,
    bytes: sinkReport.bytes,
    rejected: sinkReport.rejected,
    output: sink.description,
    labels_file: options.labelsPath ?? null,
    labels: labels.map(
      ({ id, class: cls, kind, agent_id, start, end, event_count }) => ({
        id,
        class: cls,
        kind,
        agent_id,
        start,
        end,
        event_count,
      }),
    ),
    skipped: plan.scenario.skipped,
    interrupted,
    elapsed_seconds: elapsedMs / 1000,
    events_per_second: Math.round((events / elapsedMs) * 1000),
  };
}
