import { mkdirSync } from "node:fs";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import type { ClickHouseConfig } from "../config.js";
import { DependencyError } from "../errors.js";

/**
 * One ClickHouse client, one SQL dialect: over HTTP when CLICKHOUSE_URL is set,
 * otherwise an embedded engine through chDB's connection for @clickhouse/client.
 * The database is created if missing. The embedded engine binds one data directory
 * per process, so a process opens at most one embedded client.
 */
export async function createClickHouse(
  config: ClickHouseConfig,
): Promise<ClickHouseClient> {
  const client = config.url
    ? createClient({
        url: config.url,
        username: config.user,
        password: config.password,
      })
    : createEmbedded(config.chdbPath);
  const where = config.url ?? `embedded chDB at ${config.chdbPath}`;
  try {
    await client.command({
      query: `CREATE DATABASE IF NOT EXISTS ${config.database}`,
    });
  } catch (cause) {
    await client.close().catch(() => undefined);
    throw new DependencyError(
      "clickhouse",
      `cannot use ${where}: check CLICKHOUSE_URL / CHDB_PATH`,
      { cause },
    );
  }
  return client;
}

function createEmbedded(path: string): ClickHouseClient {
  mkdirSync(path, { recursive: true });
  return createClient({
    connection: createChdbConnection({ path }),
  } as Parameters<typeof createClient>[0]);
}
