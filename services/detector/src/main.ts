// The detector service: config → logger → metrics → NATS (decisions stream) → Kafka → pipeline → ops server → shutdown.
import {
  connectNats,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  runService,
  ensureDecisionsStream,
  startOpsServer,
  consumerReadiness,
} from "@warden/shared";
import { startDecisionPipeline } from "./adapters/decision-pipeline.js";
import { loadDetectorConfig } from "./config.js";
import { createDetectorMetrics } from "./metrics.js";

async function main(): Promise<void> {
  const config = loadDetectorConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "detector",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createDetectorMetrics();
  const names = createNames(config.common.namespace);
  const nats = await connectNats({
    config: config.nats,
    logger,
    name: "warden-detector",
  });
  await ensureDecisionsStream(await nats.jetstreamManager(), names);
  const pipeline = await startDecisionPipeline({
    kafka: createKafka({ config: config.kafka, logger }),
    jetstream: nats.jetstream(),
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
    checks: [kafkaReady, { name: "nats", check: () => !nats.isClosed() }],
    logger,
  });
  shutdown.add("decision pipeline", () => pipeline.stop());
  shutdown.add("nats", () => nats.drain());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      topic: names.topics.events,
      group: names.groups.detector,
      stream: names.decisionsStream,
      burst: config.burst,
      opsPort: ops.port,
    },
    "detector started",
  );
}

runService("detector", main);
