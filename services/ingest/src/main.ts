// The ingest service: config → logger → metrics → Kafka → pipeline (+ HTTP ingest) → ops server → shutdown.
import { fastify } from "fastify";
import {
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  runService,
  startOpsServer,
  consumerReadiness,
  stopOnFatalCrash,
  listenOn,
  kafkaUnreachable,
} from "@warden/shared";
import { startKafkaPipeline } from "./adapters/kafka-pipeline.js";
import { registerHttpIngest } from "./adapters/http-ingest.js";
import {
  kafkaDeadLetterSink,
  kafkaIngestSink,
} from "./adapters/http-to-kafka.js";
import { registerMappedIngest } from "./adapters/http-mapped.js";
import { createMappedRoutes } from "./adapters/mapped-routes.js";
import { createDeduplicator } from "./core/dedup.js";
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
  const kafka = createKafka({ config: config.kafka, logger });
  const pipeline = await startKafkaPipeline({
    kafka,
    config,
    names,
    logger,
    metrics,
    deduplicator: createDeduplicator({
      windowMs: config.dedupWindowMs,
      maxEntries: config.dedupMaxEntries,
    }),
  });
  if (config.httpListen) {
    const http = config.httpListen;
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect().catch((error: unknown) => {
      throw kafkaUnreachable(config.kafka, error);
    });
    const app = fastify({ logger: false });
    const sink = kafkaIngestSink({
      producer,
      names,
      acceptOptions: () => ({ ...config, nowMs: Date.now() }),
    });
    const guard = {
      tokens: config.httpTokens,
      limits: config.httpLimits,
      metrics,
      sink,
    };
    await registerHttpIngest(app, guard);
    await registerMappedIngest(app, {
      ...guard,
      deadLetter: kafkaDeadLetterSink({ producer, names }),
      routes: createMappedRoutes(config.otlp),
    });
    const port = await listenOn(app, http.host, http.port, "INGEST_HTTP_PORT");
    // Steps run in registration order: posts stop before the consumer drains.
    shutdown.add("http ingest", async () => {
      await app.close();
      await producer.disconnect();
    });
    logger.info(
      { host: http.host, port, gateways: config.httpTokens.length },
      "http ingest listening",
    );
  }
  shutdown.add("kafka pipeline", () => pipeline.stop());
  stopOnFatalCrash(pipeline.consumer, {
    logger,
    stop: (reason) => shutdown.stop(reason),
  });
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [consumerReadiness(pipeline.consumer)],
    logger,
  });
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
