import {
  agentBaselineKey,
  peerBaselineKey,
  tenantBaselineKey,
  type BaselineModel,
  type CanonicalEvent,
} from "@warden/shared";
import type { ModelSettings } from "../config.js";
import { buildModel } from "./build-model.js";
import { refreshTick } from "./refresh-tick.js";
import { createEventHistory, type EventHistory } from "./scope-history.js";

/** Where models go, by KV key: the detector's baseline index has this shape. */
export interface ModelIndex {
  get(key: string): BaselineModel | undefined;
  set(key: string, model: BaselineModel): void;
}

/**
 * The baseline service's refresh loop, replayed in event time: every `refreshMs` of event time
 * (ticks at whole multiples, so a replay does not depend on where the file starts) the
 * baselines are recomputed over [tick − windowMs, tick) by the service's own model builder,
 * from the in-memory history. Events are added to the history only once the clock has moved
 * past their tick, so a model never sees the event it scores or any later one.
 *
 * Models are built lazily: an agent's when it is next scored after a tick, its peer group's
 * and tenant's only while its own is not trusted (the detector would not look at them). A
 * model is what the service would have published at that tick; building the ones nobody
 * reads would change no decision.
 */
export interface EventTimeBaselines {
  /**
   * Moves the clock to `timeMs`'s tick. Returns the new window start when the tick moved
   * (the caller then removes every event older than it), else undefined.
   */
  advance(timeMs: number): number | undefined;
  /** Removes an event that left the window (it must have been recorded before). */
  expire(event: CanonicalEvent): void;
  /** Puts the current models of `event`'s agent (and its fallbacks) into `index`. */
  prepare(event: CanonicalEvent, index: ModelIndex): void;
  /** Queues a scored event for the history; it counts from the next tick on. */
  record(event: CanonicalEvent): void;
  readonly history: EventHistory;
  /** Models built so far (for the replay summary). */
  readonly modelsBuilt: number;
}

export function createEventTimeBaselines(
  settings: ModelSettings,
): EventTimeBaselines {
  const history = createEventHistory();
  const pending: CanonicalEvent[] = [];
  /** Per KV key: the tick its model was last built at (the history only changes at a tick). */
  const built = new Map<string, number>();
  let tick = -Infinity;
  let modelsBuilt = 0;
  const options = { vocabularyTop: settings.vocabularyTop };

  /** Builds the model of `key` for the current tick; returns whether it is trusted. */
  function ensure(key: string, index: ModelIndex): boolean {
    if (built.get(key) === tick) return index.get(key)?.trusted ?? false;
    built.set(key, tick);
    const window = { startMs: tick - settings.windowMs, endMs: tick };
    const aggregates = history.aggregates(key, window, options);
    // Like the service, a scope that left the window keeps its last published model.
    if (!aggregates) return index.get(key)?.trusted ?? false;
    const model = buildModel(aggregates, {
      computedAtMs: tick,
      windowStartMs: window.startMs,
      windowEndMs: window.endMs,
      settings,
    });
    modelsBuilt++;
    index.set(key, model);
    return model.trusted;
  }

  return {
    history,
    get modelsBuilt() {
      return modelsBuilt;
    },
    advance(timeMs) {
      const next = refreshTick(timeMs, settings.refreshMs);
      if (next <= tick) return undefined;
      tick = next;
      for (const event of pending) history.add(event);
      pending.length = 0;
      return tick - settings.windowMs;
    },
    expire: (event) => history.remove(event),
    record: (event) => void pending.push(event),
    prepare(event, index) {
      const kind = event.agent.kind ?? "";
      if (ensure(agentBaselineKey(event.tenant, event.agent.id), index)) return;
      if (ensure(peerBaselineKey(event.tenant, kind), index)) return;
      ensure(tenantBaselineKey(event.tenant), index);
    },
  };
}
