// The ingest service: config → logger → metrics → Kafka → pipeline (+ HTTP and OTLP/gRPC ingest) → ops server → shutdown.
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
import { startOtlpGrpcServer } from "./adapters/grpc-otlp.js";
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
  if (config.httpListen || config.otlpGrpcListen) {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect().catch((error: unknown) => {
      throw kafkaUnreachable(config.kafka, error);
    });
    const guard = {
      tokens: config.httpTokens,
      limits: config.httpLimits,
      metrics,
      sink: kafkaIngestSink({
        producer,
        names,
        acceptOptions: () => ({ ...config, nowMs: Date.now() }),
      }),
    };
    const deadLetter = kafkaDeadLetterSink({ producer, names });
    // Steps run in registration order: the doors close, then the producer, then the consumer drains.
    const doors: (() => Promise<void>)[] = [];
    if (config.httpListen) {
      const http = config.httpListen;
      const app = fastify({ logger: false });
      await registerHttpIngest(app, guard);
      await registerMappedIngest(app, {
        ...guard,
        deadLetter,
        routes: createMappedRoutes(config.otlp),
      });
      const port = await listenOn(
        app,
        http.host,
        http.port,
        "INGEST_HTTP_PORT",
      );
      doors.push(() => app.close());
      logger.info(
        { host: http.host, port, gateways: config.httpTokens.length },
        "http ingest listening",
      );
    }
    if (config.otlpGrpcListen) {
      const grpc = config.otlpGrpcListen;
      const server = await startOtlpGrpcServer({
        ...guard,
        ...grpc,
        deadLetter,
        mapping: config.otlp,
      }).catch((error: unknown) => {
        throw new Error(
          `INGEST_OTLP_GRPC_PORT: cannot listen on ${grpc.host}:${grpc.port}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      doors.push(() => server.stop());
      logger.info(
        {
          host: grpc.host,
          port: server.port,
          gateways: config.httpTokens.length,
        },
        "otlp grpc ingest listening",
      );
    }
    shutdown.add("ingest doors", async () => {
      await Promise.all(doors.map((close) => close()));
      await producer.disconnect();
    });
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
