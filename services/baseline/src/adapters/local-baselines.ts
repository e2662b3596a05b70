import type { ClickHouseClient } from "@clickhouse/client";
import {
  baselineKey,
  describeError,
  type BaselineModel,
  type Logger,
} from "@warden/shared";
import type { ModelSettings } from "../config.js";
import type { RefreshMetrics } from "../metrics.js";
import type { ModelIndex } from "../model/event-time-baselines.js";
import { refreshTick } from "../model/refresh-tick.js";
import { buildModelsAt } from "../store/models-at.js";
import { loadModels, saveModels } from "../store/model-store.js";

/**
 * Baselines for a host that stores events in its own ClickHouse and scores in the same process
 * (the all-in-one): the service's SQL aggregates and model builder, refreshed on the event-time
 * watermark exactly as replay refreshes them. Before an event is scored the host calls
 * `advance(event time)`; when that crosses a refresh tick, every scope with events in
 * [tick − window, tick) is rebuilt into the detector's index and saved, and the event waits for
 * it. So a model never contains the event it scores, and the same input in time order gives the
 * same models — hence the same decisions — as `warden replay`. In live traffic the watermark is
 * wall time. Models persist in the `baselines` table, so a restart (even after kill -9) scores
 * with the last refresh's models at once and refreshes again only at the next tick.
 */

export interface LocalBaselineCounts {
  /** The tick of the last refresh (-Infinity before the first). */
  readonly tickMs: number;
  readonly refreshes: number;
  readonly refreshFailures: number;
  /** Models the last refresh built (or restored at start). */
  readonly models: number;
}

export interface LocalBaselines {
  /** Moves the watermark to `timeMs`; resolves once the models of its tick are in the index. */
  advance(timeMs: number): Promise<void>;
  /** The latest model of a KV key, as the query API serves it. */
  model(key: string): BaselineModel | undefined;
  counts(): LocalBaselineCounts;
  /** Waits for a refresh in flight. */
  stop(): Promise<void>;
}

export async function startLocalBaselines(options: {
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly settings: ModelSettings;
  /** The detector's baseline index: models go here as they are built. */
  readonly index: ModelIndex;
  readonly metrics: RefreshMetrics;
  readonly logger: Logger;
}): Promise<LocalBaselines> {
  const { clickhouse, database, settings, index, metrics } = options;
  const log = options.logger.child({ component: "baselines" });
  const stored = await loadModels(clickhouse, database);
  let tickMs = -Infinity;
  let lastBuilt = stored.models.size;
  for (const [key, model] of stored.models) {
    index.set(key, model);
    tickMs = Math.max(tickMs, model.computedAtMs);
  }
  if (stored.undecodable > 0)
    log.warn(
      { undecodable: stored.undecodable },
      "stored baselines that no longer decode were left out",
    );
  let target = tickMs;
  let refreshes = 0;
  let refreshFailures = 0;
  let chain: Promise<void> = Promise.resolve();

  async function refreshAt(tick: number): Promise<void> {
    const endTimer = metrics.refreshSeconds.startTimer();
    const built = await buildModelsAt(clickhouse, database, settings, tick);
    await saveModels(clickhouse, database, built);
    for (const model of built) {
      index.set(baselineKey(model.scope), model);
      metrics.baselinesPublished.inc({ level: model.scope.level });
    }
    endTimer();
    tickMs = tick;
    lastBuilt = built.length;
    refreshes += 1;
    log.debug({ tick, models: built.length }, "baselines refreshed");
  }

  return {
    advance(timeMs) {
      const tick = refreshTick(timeMs, settings.refreshMs);
      // An event of a tick already refreshed (or being refreshed) waits only for that refresh.
      if (tick <= target) return chain;
      target = tick;
      chain = chain.then(() =>
        refreshAt(tick).catch((error: unknown) => {
          // The models of the previous tick stay; the next tick tries again.
          refreshFailures += 1;
          metrics.refreshFailures.inc();
          log.error(
            { tick, err: describeError(error) },
            "baseline refresh failed",
          );
        }),
      );
      return chain;
    },
    model: (key) => index.get(key),
    counts: () => ({ tickMs, refreshes, refreshFailures, models: lastBuilt }),
    stop: () => chain,
  };
}
