import type { ClickHouseClient } from "@clickhouse/client";
import {
  baselineKey,
  decodeBaseline,
  encodeBaseline,
  type BaselineModel,
} from "@warden/shared";

/**
 * Published models in the `baselines` table (migration 5), for a host with no KV bucket (the
 * all-in-one): each model in its KV wire form, the latest per key kept.
 */

const decoder = new TextDecoder();
/** Rows per insert: one refresh of a large tenant is many models, sent in bounded pieces. */
const INSERT_ROWS = 5_000;

export async function saveModels(
  client: ClickHouseClient,
  database: string,
  models: readonly BaselineModel[],
): Promise<void> {
  for (let at = 0; at < models.length; at += INSERT_ROWS)
    await client.insert({
      table: `${database}.baselines`,
      values: models.slice(at, at + INSERT_ROWS).map((model) => ({
        key: baselineKey(model.scope),
        computed_at: model.computedAtMs,
        model: decoder.decode(encodeBaseline(model)),
      })),
      format: "JSONEachRow",
    });
}

/** Every stored model, the latest per key; rows that no longer decode are left out and counted. */
export async function loadModels(
  client: ClickHouseClient,
  database: string,
): Promise<{ models: Map<string, BaselineModel>; undecodable: number }> {
  const result = await client.query({
    query: `SELECT key, argMax(model, computed_at) AS model FROM ${database}.baselines GROUP BY key`,
    format: "JSONEachRow",
  });
  const encoder = new TextEncoder();
  const models = new Map<string, BaselineModel>();
  let undecodable = 0;
  for (const row of await result.json<{ key: string; model: string }>()) {
    const decoded = decodeBaseline(encoder.encode(row.model));
    if (decoded.ok) models.set(row.key, decoded.model);
    else undecodable += 1;
  }
  return { models, undecodable };
}
