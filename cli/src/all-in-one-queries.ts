import type { ClickHouseClient } from "@clickhouse/client";
import type { FastifyInstance } from "fastify";
import {
  registerQueryRoutes,
  type LocalBaselines,
  type WhatIfDetector,
} from "@warden/baseline";
import { authenticateBearer, type GatewayCredential } from "@warden/ingest";

/**
 * The baseline service's query API (agents, baselines, events, decisions, revocations,
 * incidents, activity, deliveries, what-if) on the all-in-one's port, with the models from the embedded
 * store. Guarded like the all-in-one's other read routes: with gateway tokens configured, only a
 * known gateway is answered, and only about its own tenant — a path naming another tenant is
 * not found, a `tenant` filter (what-if's, in its body) is forced to the caller's, and the cross-tenant delivery health
 * is refused. Without tokens (a loopback-only laptop run) the routes are open, like the rest.
 */
export async function registerAllInOneQueries(
  app: FastifyInstance,
  options: {
    readonly clickhouse: ClickHouseClient;
    readonly database: string;
    readonly baselines: LocalBaselines;
    readonly tokens: readonly GatewayCredential[];
    readonly detector: WhatIfDetector;
  },
): Promise<void> {
  const { tokens } = options;
  await app.register((scope, _options, done) => {
    scope.addHook("preHandler", async (request, reply) => {
      if (tokens.length === 0) return;
      const caller = authenticateBearer(request.headers.authorization, tokens);
      if (!caller)
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="warden"')
          .send({
            error: "unauthorized",
            message: "a valid gateway bearer token is required",
          });
      const params = request.params as { tenant?: string } | undefined;
      if (params?.tenant !== undefined && params.tenant !== caller.tenant)
        return reply
          .code(404)
          .send({ error: "not_found", message: "no such agent" });
      if (request.routeOptions.url === "/v1/deliveries")
        return reply.code(403).send({
          error: "forbidden",
          message: "delivery health spans tenants: not for a gateway token",
        });
      const query = request.query as Record<string, unknown>;
      query["tenant"] = caller.tenant;
      // What-if names its tenant in the body: forced the same way.
      const body: unknown = request.body;
      if (typeof body === "object" && body !== null)
        (body as Record<string, unknown>)["tenant"] = caller.tenant;
      return undefined;
    });
    registerQueryRoutes(scope, {
      clickhouse: options.clickhouse,
      database: options.database,
      detector: options.detector,
      baseline: (key) => Promise.resolve(options.baselines.model(key) ?? null),
    });
    done();
  });
}
