import type { ClickHouseClient } from "@clickhouse/client";
import type { KV } from "nats";
import { describeError, type Logger } from "@warden/shared";
import {
  baselineKey,
  encodeBaseline,
  type BaselineLevel,
} from "@warden/shared";
import type { ModelSettings } from "../config.js";
import type { BaselineMetrics } from "../metrics.js";
import { buildModel } from "../model/build-model.js";
import { refreshTick } from "../model/refresh-tick.js";
import { queryAggregates } from "../store/baseline-queries.js";

/**
 * At every tick of wall time (whole multiples of `refreshMs`, refreshTick): aggregates over
 * [tick − window, tick) from ClickHouse → models (pure core) → the KV bucket, for every agent,
 * peer group and tenant with events in the window — the window and models replay and the
 * all-in-one build at the same tick of event time. Refreshes never overlap;
 * a failed one is logged and counted, and the next interval tries again.
 */

const LEVELS: readonly BaselineLevel[] = ["agent", "peer", "tenant"];
/** KV puts in flight at once: enough to pipeline, few enough to bound memory. */
const PUBLISH_CONCURRENCY = 256;

export interface RefreshSummary {
  readonly computedAtMs: number;
  readonly published: Readonly<Record<BaselineLevel, number>>;
  readonly trustedAgents: number;
  readonly publishErrors: number;
  readonly largestBytes: number;
}

export interface Refresher {
  /** Runs one refresh now (after any running one) and returns what it published. */
  refresh(): Promise<RefreshSummary>;
  lastRefresh(): RefreshSummary | undefined;
  stop(): Promise<void>;
}

export function startRefresher(options: {
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly kv: KV;
  readonly settings: ModelSettings;
  readonly metrics: BaselineMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}): Refresher {
  const { settings, metrics } = options;
  const log = options.logger.child({ component: "refresher" });
  const now = options.now ?? Date.now;
  let last: RefreshSummary | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function publish(key: string, bytes: Uint8Array): Promise<boolean> {
    try {
      await options.kv.put(key, bytes);
      return true;
    } catch (error) {
      metrics.publishErrors.inc();
      log.warn({ key, err: describeError(error) }, "baseline publish failed");
      return false;
    }
  }

  async function refreshOnce(): Promise<RefreshSummary> {
    const endTimer = metrics.refreshSeconds.startTimer();
    const computedAtMs = now();
    // The tick grid every host shares (replay, the all-in-one): the same window, the same models.
    const windowEndMs = refreshTick(computedAtMs, settings.refreshMs);
    const windowStartMs = windowEndMs - settings.windowMs;
    const published: Record<BaselineLevel, number> = {
      agent: 0,
      peer: 0,
      tenant: 0,
    };
    let trustedAgents = 0;
    let publishErrors = 0;
    let largestBytes = 0;
    for (const level of LEVELS) {
      const aggregates = await queryAggregates(
        options.clickhouse,
        options.database,
        level,
        { startMs: windowStartMs, endMs: windowEndMs },
        { vocabularyTop: settings.vocabularyTop },
      );
      for (
        let start = 0;
        start < aggregates.length;
        start += PUBLISH_CONCURRENCY
      ) {
        const outcomes = await Promise.all(
          aggregates.slice(start, start + PUBLISH_CONCURRENCY).map((scope) => {
            const model = buildModel(scope, {
              computedAtMs: windowEndMs,
              windowStartMs,
              windowEndMs,
              settings,
            });
            if (level === "agent" && model.trusted) trustedAgents += 1;
            const bytes = encodeBaseline(model);
            largestBytes = Math.max(largestBytes, bytes.length);
            return publish(baselineKey(model.scope), bytes);
          }),
        );
        for (const ok of outcomes) {
          if (ok) published[level] += 1;
          else publishErrors += 1;
        }
      }
      metrics.baselinesPublished.inc({ level }, published[level]);
    }
    endTimer();
    last = {
      computedAtMs,
      published,
      trustedAgents,
      publishErrors,
      largestBytes,
    };
    log.info(last, "baselines refreshed");
    return last;
  }

  function refresh(): Promise<RefreshSummary> {
    const next = running.then(refreshOnce);
    running = next.catch(() => undefined);
    return next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      refresh()
        .catch((error: unknown) => {
          metrics.refreshFailures.inc();
          log.error({ err: describeError(error) }, "baseline refresh failed");
        })
        // At the next tick of wall time (the live watermark), not refreshMs after this one.
        .finally(() =>
          schedule(
            refreshTick(now(), settings.refreshMs) + settings.refreshMs - now(),
          ),
        );
    }, delayMs);
  }

  // The first refresh right away: a restarted service republishes without waiting.
  schedule(0);
  return {
    refresh,
    lastRefresh: () => last,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
