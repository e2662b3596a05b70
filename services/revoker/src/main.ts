// The revoker: config → logger → metrics → signing key → NATS → consumer → /jwks.json → ops server → shutdown.
import { fastify } from "fastify";
import {
  connectNats,
  createLogger,
  createNames,
  createShutdown,
  runService,
  listenOn,
  startOpsServer,
} from "@warden/shared";
import { startDecisionsConsumer } from "./adapters/decisions-consumer.js";
import { loadRevokerConfig } from "./config.js";
import { createRevokerMetrics } from "./metrics.js";
import { loadSigningKey } from "./signing-key.js";

async function main(): Promise<void> {
  const config = loadRevokerConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "revoker",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createRevokerMetrics();
  const names = createNames(config.common.namespace);
  const signingKey = await loadSigningKey(config.signingKeyFile);
  const connection = await connectNats({
    config: config.nats,
    logger,
    name: "warden-revoker",
  });
  const consumer = await startDecisionsConsumer({
    connection,
    names,
    logger,
    metrics,
    signingKey,
    issuer: config.issuer,
    audience: config.push.audience,
    push: { url: config.push.url, authorization: config.push.authorization },
  });
  const http = fastify({ logger: false });
  http.get("/jwks.json", (_request, reply) =>
    reply.header("cache-control", "max-age=300").send(signingKey.publicJwks()),
  );
  const httpPort = await listenOn(
    http,
    config.httpHost,
    config.httpPort,
    "REVOKER_HTTP_PORT",
  );
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [{ name: "nats", check: () => !connection.isClosed() }],
    logger,
  });
  shutdown.add("decisions consumer", () => consumer.stop());
  shutdown.add("nats", () => connection.drain());
  shutdown.add("http server", () => http.close());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      stream: names.decisionsStream,
      consumer: names.decisionsConsumer,
      kid: signingKey.kid,
      issuer: config.issuer,
      audience: config.push.audience,
      pushUrl: config.push.url,
      httpPort,
      opsPort: ops.port,
    },
    "revoker started",
  );
}

runService("revoker", main);
