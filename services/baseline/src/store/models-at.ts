import type { ClickHouseClient } from "@clickhouse/client";
import type { BaselineLevel, BaselineModel } from "@warden/shared";
import type { ModelSettings } from "../config.js";
import { buildModel } from "../model/build-model.js";
import { queryAggregates } from "./baseline-queries.js";

const LEVELS: readonly BaselineLevel[] = ["agent", "peer", "tenant"];

/**
 * Every model (agent, peer group, tenant) as the refresh at `tickMs` builds it: the SQL
 * aggregates over [tick − window, tick) through the model builder. One definition for every
 * host that refreshes from ClickHouse at a tick: the all-in-one's watermark refresh and the
 * what-if run, which rebuilds the models a window's events were (or would have been) scored
 * against, tick by tick.
 */
export async function buildModelsAt(
  clickhouse: ClickHouseClient,
  database: string,
  settings: ModelSettings,
  tickMs: number,
): Promise<BaselineModel[]> {
  const window = { startMs: tickMs - settings.windowMs, endMs: tickMs };
  const built: BaselineModel[] = [];
  for (const level of LEVELS)
    for (const aggregates of await queryAggregates(
      clickhouse,
      database,
      level,
      window,
      { vocabularyTop: settings.vocabularyTop },
    ))
      built.push(
        buildModel(aggregates, {
          computedAtMs: tickMs,
          windowStartMs: window.startMs,
          windowEndMs: window.endMs,
          settings,
        }),
      );
  return built;
}
