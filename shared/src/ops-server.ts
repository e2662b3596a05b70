import { fastify, type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { WardenError } from "./errors.js";
import type { Logger } from "./logger.js";

/** One readiness check: connected to its server and caught up. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => boolean | Promise<boolean>;
}

export interface OpsServer {
  readonly app: FastifyInstance;
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  stop(): Promise<void>;
}

export class PortInUseError extends WardenError {
  readonly host: string;
  readonly port: number;
  readonly variable: string;

  constructor(host: string, port: number, variable: string, cause: unknown) {
    super(
      `port ${port} on ${host} is already in use: stop what holds it or set ${variable} to a free port`,
      { cause },
    );
    this.host = host;
    this.port = port;
    this.variable = variable;
  }
}

/** Binds `app`, turning "address in use" into an error that says which variable to change. */
export async function listenOn(
  app: FastifyInstance,
  host: string,
  port: number,
  variable: string,
): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new PortInUseError(host, port, variable, error);
    throw error;
  }
  const address = app.server.address();
  return typeof address === "object" && address !== null ? address.port : port;
}

/**
 * `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz`
 * (every readiness check passes; 503 with the failing names otherwise).
 */
export async function startOpsServer(options: {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly checks: readonly ReadinessCheck[];
  readonly logger: Logger;
}): Promise<OpsServer> {
  const app = fastify({ logger: false });
  app.get("/healthz", (_request, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const results = await Promise.all(
      options.checks.map(async ({ name, check }) => {
        try {
          return { name, ready: await check() };
        } catch {
          return { name, ready: false };
        }
      }),
    );
    const waiting = results
      .filter((result) => !result.ready)
      .map((result) => result.name);
    return reply
      .code(waiting.length === 0 ? 200 : 503)
      .send({ ready: waiting.length === 0, waiting });
  });
  app.get("/metrics", async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  const port = await listenOn(
    app,
    options.host,
    options.port,
    "WARDEN_OPS_PORT",
  );
  options.logger.info({ host: options.host, port }, "ops server listening");
  return { app, port, stop: () => app.close() };
}
