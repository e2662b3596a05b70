// The ingest service: config → logger → metrics → Kafka → pipeline → ops server → shutdown.
import {
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  runService,
  startOpsServer,
  consumerReadiness,
} from "@warden/shared";
import { startKafkaPipeline } from "./adapters/kafka-pipeline.js";
import { loadIngestConfig } from "./config.js";
import { createIngestMetrics } from "./metrics.js";

async function main(): Promise<void> {
  const config = loadIngestConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "ingest",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createIngestMetrics();
  const names = createNames(config.common.namespace);
  const pipeline = await startKafkaPipeline({
    kafka: createKafka({ config: config.kafka, logger }),
    config,
    names,
    logger,
    metrics,
  });
  const kafkaReady = consumerReadiness(pipeline.consumer);
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [kafkaReady],
    logger,
  });
  shutdown.add("kafka pipeline", () => pipeline.stop());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      topic: names.topics.audit,
      group: names.groups.ingest,
      opsPort: ops.port,
    },
    "ingest started",
  );
}

runService("ingest", main);
