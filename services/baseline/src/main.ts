// The baseline service: config → logger → metrics → ClickHouse (migrations, retention) →
// Kafka sinks → NATS + baseline refresher → ops server → shutdown.
import {
  connectNats,
  consumerReadiness,
  createClickHouse,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  openBaselinesBucket,
  runService,
  startOpsServer,
  stopOnFatalCrash,
} from "@warden/shared";
import { startRefresher } from "./adapters/refresher.js";
import { startQueryApi } from "./api/query-api.js";
import { startSinks } from "./adapters/sinks.js";
import { loadBaselineConfig } from "./config.js";
import { createBaselineMetrics } from "./metrics.js";
import { applyRetention, migrate } from "./store/migrations.js";

async function main(): Promise<void> {
  const config = loadBaselineConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "baseline",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createBaselineMetrics();
  const names = createNames(config.common.namespace);
  const database = config.clickhouse.database;
  const clickhouse = await createClickHouse(config.clickhouse);
  const schema = { database, cluster: config.clickhouse.cluster };
  const migrated = await migrate(clickhouse, schema);
  const retained = await applyRetention(
    clickhouse,
    schema,
    config.retentionDays,
  );
  logger.info({ migrated, retentionChanged: retained }, "schema up to date");
  const sinks = await startSinks({
    kafka: createKafka({ config: config.kafka, logger }),
    kafkaConfig: config.kafka,
    clickhouse,
    database,
    names,
    settings: config.sink,
    logger,
    metrics,
  });
  stopOnFatalCrash(sinks.consumer, {
    logger,
    stop: (reason) => shutdown.stop(reason),
  });
  const nats = await connectNats({
    config: config.nats,
    logger,
    name: "warden-baseline",
  });
  const kv = await openBaselinesBucket(nats, names);
  const refresher = startRefresher({
    clickhouse,
    database,
    kv,
    settings: config.model,
    metrics,
    logger,
  });
  metrics.observe({
    lagByTable: () => sinks.lagByTable(),
    agentsWithBaseline: () => refresher.lastRefresh()?.trustedAgents ?? 0,
    lastRefreshMs: () => refresher.lastRefresh()?.computedAtMs,
  });
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [consumerReadiness(sinks.consumer), sinks.readiness],
    logger,
  });
  const api = config.api.token
    ? await startQueryApi({
        host: config.api.host,
        port: config.api.port,
        token: config.api.token,
        corsOrigins: config.api.corsOrigins,
        clickhouse,
        database,
        kv,
        logger,
        detector: config.detector,
        settings: config.model,
      })
    : undefined;
  if (!api) logger.info("query API off: BASELINE_API_TOKEN is not set");
  if (api) shutdown.add("query API", () => api.stop());
  shutdown.add("sinks", () => sinks.stop());
  shutdown.add("refresher", () => refresher.stop());
  shutdown.add("nats", () => nats.drain());
  shutdown.add("clickhouse", () => clickhouse.close());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      topics: Object.values(names.topics),
      group: names.groups.baseline,
      database,
      opsPort: ops.port,
      apiPort: api?.port,
    },
    "baseline started",
  );
}

runService("baseline", main);
