// The baseline service: config → logger → metrics → ClickHouse → Kafka → events sink → ops server → shutdown.
import {
  createClickHouse,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  describeError,
  startOpsServer,
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
  let connected = true;
  sink.consumer.on(sink.consumer.events.CRASH, () => (connected = false));
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [{ name: "kafka", check: () => connected }],
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

main().catch((error: unknown) => {
  process.stderr.write(`warden baseline: ${describeError(error)}\n`);
  process.exit(1);
});
