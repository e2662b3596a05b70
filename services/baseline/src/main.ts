// The baseline service: config → logger → metrics → ClickHouse → Kafka → events sink → ops server → shutdown.
import {
  createClickHouse,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  runService,
  startOpsServer,
  consumerReadiness,
} from "@warden/shared";
import { startEventsSink } from "./adapters/events-sink.js";
import { loadBaselineConfig } from "./config.js";
import { createBaselineMetrics } from "./metrics.js";

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
  const clickhouse = await createClickHouse(config.clickhouse);
  const sink = await startEventsSink({
    kafka: createKafka({ config: config.kafka, logger }),
    clickhouse,
    config,
    names,
    logger,
    metrics,
  });
  const kafkaReady = consumerReadiness(sink.consumer);
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [kafkaReady],
    logger,
  });
  shutdown.add("events sink", () => sink.stop());
  shutdown.add("clickhouse", () => clickhouse.close());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      topic: names.topics.events,
      group: names.groups.baseline,
      database: config.clickhouse.database,
      opsPort: ops.port,
    },
    "baseline started",
  );
}

runService("baseline", main);
