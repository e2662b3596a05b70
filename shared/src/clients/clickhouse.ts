import { mkdirSync, readFileSync } from "node:fs";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import type { ClickHouseConfig } from "../config.js";
import { ConfigError, DependencyError } from "../errors.js";

/**
 * One ClickHouse client, one SQL dialect: over HTTP(S) when CLICKHOUSE_URL is set,
 * otherwise an embedded engine through chDB's connection for @clickhouse/client.
 * The database is created if missing (on every replica of CLICKHOUSE_CLUSTER). The embedded
 * engine binds one data directory per process, so a process opens at most one embedded client.
 */
export async function createClickHouse(
  config: ClickHouseConfig,
): Promise<ClickHouseClient> {
  const client = config.url
    ? createClient({
        url: config.url,
        username: config.user,
        password: config.password,
        ...(config.caFile
          ? { tls: { ca_cert: readCaFile(config.caFile) } }
          : {}),
      })
    : await createEmbedded(config.chdbPath);
  const where = config.url ?? `embedded chDB at ${config.chdbPath}`;
  try {
    await client.command({
      query: `CREATE DATABASE IF NOT EXISTS ${config.database}${
        config.cluster ? ` ON CLUSTER ${config.cluster}` : ""
      }`,
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

/** The CA named by CLICKHOUSE_CA_FILE, read once at start-up: a bad path names the variable. */
function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([
      {
        variable: "CLICKHOUSE_CA_FILE",
        expected: `a readable PEM file (${(error as Error).message})`,
      },
    ]);
  }
}

// chDB's native library is ~200 MiB of resident memory once loaded, so it is loaded only by
// the processes that embed ClickHouse, not by everything that imports @warden/shared.
async function createEmbedded(path: string): Promise<ClickHouseClient> {
  mkdirSync(path, { recursive: true });
  const { createChdbConnection } = await import("chdb/connection");
  return createClient({
    connection: createChdbConnection({ path }),
  } as Parameters<typeof createClient>[0]);
}
