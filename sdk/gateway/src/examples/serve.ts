import fastify, { type FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { EnvReader, loadGatewayConfig, type GatewayConfig } from "../config.js";
import { describeError } from "@warden/shared/errors";
import { createSsfPushReceiver, SET_CONTENT_TYPE } from "../ssf-receiver.js";
import type { Revocation } from "../revocations.js";
import { createWardenGateway, type WardenGateway } from "../warden-gateway.js";

export const DEFAULT_GATEWAY_PORT = 8090;
const STOP_FORCE_MS = 15_000;

/** The 403 body of a refused call: what a person (or the agent's operator) needs to know. */
export function refusalBody(
  revocation: Revocation,
  matched: "agent" | "credential",
  held?: readonly string[],
) {
  if (held !== undefined && revocation.hold !== undefined)
    return {
      error: "held_for_approval",
      message: `Warden holds this agent's ${held.join(", ")} calls until its owner approves (answer due by ${revocation.hold.answer_by}): ${revocation.reason}`,
      reason: revocation.reason,
      decision_id: revocation.decisionId,
      held,
      answer_by: revocation.hold.answer_by,
    };
  return {
    error: matched === "agent" ? "agent_revoked" : "credential_revoked",
    message: `Warden revoked ${matched === "agent" ? "this agent" : "this credential"}: ${revocation.reason}`,
    reason: revocation.reason,
    decision_id: revocation.decisionId,
    revoked_at: revocation.issuedAt,
    expires_at: revocation.expiresAt,
  };
}

/**
 * Runs an example gateway: config → logger → metrics → Warden SDK → routes → listen, and on
 * SIGTERM/SIGINT: stop taking calls → flush the shipper → leave NATS → exit.
 */
export async function serveExample(
  service: string,
  addRoutes: (
    app: FastifyInstance,
    warden: WardenGateway,
    config: GatewayConfig,
    log: Logger,
  ) => void,
): Promise<void> {
  const env = new EnvReader(process.env);
  const host = env.text("GATEWAY_HOST", "127.0.0.1");
  const port = env.port("GATEWAY_PORT", DEFAULT_GATEWAY_PORT);
  const ssfIssuer = env.url("GATEWAY_SSF_ISSUER");
  const ssfAudience = env.optional("GATEWAY_SSF_AUDIENCE");
  const ssfJwksUrl = env.url("GATEWAY_SSF_JWKS_URL");
  const ssfAuthorization = env.optional("GATEWAY_SSF_AUTHORIZATION");
  if (ssfIssuer !== undefined && ssfAudience === undefined)
    env.problems.push({
      option: "GATEWAY_SSF_AUDIENCE",
      expected: "set when GATEWAY_SSF_ISSUER is (the URL Warden pushes to)",
    });
  env.done();
  const config = loadGatewayConfig(process.env);
  const logger = pino({
    level: config.logLevel,
    base: { service },
    redact: {
      paths: ["authorization", "*.authorization", "token", "*.token"],
      censor: "[redacted]",
    },
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "gateway_" });
  const warden = await createWardenGateway({ config, logger, registry });

  const app = fastify({ logger: false });
  app.get("/healthz", () => ({ ok: true }));
  app.get("/readyz", async (_request, reply) =>
    reply
      .code(warden.enforcer.isSynced() ? 200 : 503)
      .send({ synced: warden.enforcer.isSynced() }),
  );
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  if (ssfIssuer !== undefined && ssfAudience !== undefined) {
    const receiver = createSsfPushReceiver({
      issuer: ssfIssuer,
      audience: ssfAudience,
      jwksUrl: ssfJwksUrl ?? `${ssfIssuer}/jwks.json`,
      ...(ssfAuthorization === undefined
        ? {}
        : { authorization: ssfAuthorization }),
      tenant: config.tenant,
      apply: (message) => warden.enforcer.apply(message),
      logger,
      registry,
    });
    app.addContentTypeParser(
      SET_CONTENT_TYPE,
      { parseAs: "string" },
      (_request, body, done) => done(null, body),
    );
    app.post<{ Body: string }>("/ssf/events", async (request, reply) => {
      const answer = await receiver.receive({
        body: request.body,
        contentType: request.headers["content-type"],
        authorization: request.headers.authorization,
      });
      return reply
        .code(answer.status)
        .send("body" in answer ? answer.body : undefined);
    });
  }
  addRoutes(app, warden, config, logger);
  await app.listen({ host, port });
  const address = app.server.address();
  logger.info(
    {
      port: typeof address === "object" && address ? address.port : port,
      shipTo: config.shipTo,
    },
    `${service} listening`,
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    const force = setTimeout(() => {
      logger.error(
        { graceMs: STOP_FORCE_MS },
        "graceful stop overran; forcing exit",
      );
      logger.flush();
      process.exit(1);
    }, STOP_FORCE_MS);
    let code = 0;
    try {
      await app.close();
      await warden.stop();
    } catch (error) {
      logger.error({ error: describeError(error) }, "stop failed");
      code = 1;
    }
    clearTimeout(force);
    logger.info({ code }, "stopped");
    logger.flush();
    // Everything is flushed and closed; a library's stray timer must not keep the process up.
    process.exit(code);
  };
  process.once("SIGTERM", (signal) => void stop(signal));
  process.once("SIGINT", (signal) => void stop(signal));
}
