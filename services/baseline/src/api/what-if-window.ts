import {
  baselineKey,
  type BaselineModel,
  type CanonicalEvent,
} from "@warden/shared";
import type { ModelSettings } from "../config.js";
import {
  createEventTimeBaselines,
  type ModelIndex,
} from "../model/event-time-baselines.js";
import { refreshTick } from "../model/refresh-tick.js";

/**
 * A what-if window scored against the baselines its events met (issue 19), not today's, which
 * hold the window's own traffic (a runaway loop, an export) and would let it excuse itself.
 * Before an event is scored, the models of its refresh tick (refreshTick, the grid every host
 * shares) are in place, built over [tick − window, tick) as the live refresh built them:
 *
 * - when the stored history the window needs (from the first tick's window start on) has at
 *   most `maxHistoryEvents` events, it is read once and replayed in event time through
 *   replay's own baselines (model/event-time-baselines.ts: the same model builder over the
 *   same aggregates as the SQL, test/baseline-parity.test.ts), so the run decides what
 *   `warden replay` of those events decides;
 * - else the models are rebuilt from ClickHouse at each tick an event crosses, by the
 *   refresh's own SQL (`modelsAt`), which costs a refresh per tick and may meet the deadline.
 */
export interface StoredEvents {
  /** Stored events in [fromMs, toMs), in (time, event id) order, a page at a time. */
  pages(fromMs: number, toMs: number): AsyncIterable<readonly CanonicalEvent[]>;
  /** How many events are stored in [fromMs, toMs). */
  count(fromMs: number, toMs: number): Promise<number>;
  /** Every model as the refresh at `tickMs` built it (store/models-at.ts). */
  modelsAt(tickMs: number): Promise<readonly BaselineModel[]>;
}

export interface WindowBounds {
  readonly fromMs: number;
  readonly toMs: number;
  readonly settings: ModelSettings;
  readonly deadlineMs: number;
  /** Window events scored at most. */
  readonly maxEvents: number;
  /** History events replayed in memory at most; more, and the models come from SQL per tick. */
  readonly maxHistoryEvents: number;
}

export type Stopped = "max_events" | "time_limit";

/** The detector's what-if run (core/what-if.ts), as far as the window feeds it. */
export interface WhatIf {
  setBaseline(key: string, model: BaselineModel): void;
  observe(event: CanonicalEvent): void;
}

/** Scores the window into `run`; says why it stopped early, if it did. */
export async function scoreWindow(
  run: WhatIf,
  events: StoredEvents,
  bounds: WindowBounds,
): Promise<Stopped | undefined> {
  const { settings } = bounds;
  const historyStartMs =
    refreshTick(bounds.fromMs, settings.refreshMs) - settings.windowMs;
  const history = await events.count(historyStartMs, bounds.fromMs);
  return history <= bounds.maxHistoryEvents
    ? replayWindow(run, events, bounds, historyStartMs)
    : rebuildPerTick(run, events, bounds);
}

async function replayWindow(
  run: WhatIf,
  events: StoredEvents,
  bounds: WindowBounds,
  historyStartMs: number,
): Promise<Stopped | undefined> {
  const baselines = createEventTimeBaselines(bounds.settings);
  const models = new Map<string, BaselineModel>();
  const index: ModelIndex = {
    get: (key) => models.get(key),
    set(key, model) {
      models.set(key, model);
      run.setBaseline(key, model);
    },
  };
  // Every event read, for the trailing edge: removed from the history once out of the window
  // (held, not read again, so a late arrival stored meanwhile cannot be removed unadded).
  const held: (CanonicalEvent | undefined)[] = [];
  let behind = 0;
  let scored = 0;
  for await (const page of events.pages(historyStartMs, bounds.toMs)) {
    for (const event of page) {
      const windowStartMs = baselines.advance(event.time_ms);
      if (windowStartMs !== undefined)
        while (behind < held.length) {
          const old = held[behind] as CanonicalEvent;
          if (old.time_ms >= windowStartMs) break;
          baselines.expire(old);
          held[behind++] = undefined;
        }
      if (event.time_ms >= bounds.fromMs) {
        if (scored >= bounds.maxEvents) return "max_events";
        baselines.prepare(event, index);
        run.observe(event);
        scored++;
      }
      baselines.record(event);
      held.push(event);
    }
    if (Date.now() > bounds.deadlineMs) return "time_limit";
  }
  return undefined;
}

async function rebuildPerTick(
  run: WhatIf,
  events: StoredEvents,
  bounds: WindowBounds,
): Promise<Stopped | undefined> {
  let tickMs = -Infinity;
  let scored = 0;
  for await (const page of events.pages(bounds.fromMs, bounds.toMs)) {
    for (const event of page) {
      if (scored >= bounds.maxEvents) return "max_events";
      const tick = refreshTick(event.time_ms, bounds.settings.refreshMs);
      if (tick > tickMs) {
        tickMs = tick;
        for (const model of await events.modelsAt(tick))
          run.setBaseline(baselineKey(model.scope), model);
        if (Date.now() > bounds.deadlineMs) return "time_limit";
      }
      run.observe(event);
      scored++;
    }
    if (Date.now() > bounds.deadlineMs) return "time_limit";
  }
  return undefined;
}
