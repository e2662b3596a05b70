import type { ClickHouseClient } from "@clickhouse/client";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  registerQueryRoutes,
  type LocalBaselines,
  type ModelSettings,
  type WhatIfDetector,
} from "@warden/baseline";
import {
  authenticateBearer,
  deadLetterJsonRecord,
  type GatewayCredential,
  type LocalDeadLetters,
} from "@warden/ingest";
import type { LocalRevoker } from "@warden/revoker";
import { readDecisionLimit, type DecisionLog } from "@warden/detector";

/**
 * The all-in-one's read routes: its own (decisions, kill switch, dead letters, event count)
 * and the baseline service's query API (agents, baselines, events, decisions, revocations,
 * incidents, activity, deliveries, what-if) over the embedded store. With gateway tokens
 * configured, only a known gateway is answered, and only about its own tenant: decisions and
 * revocations of other tenants are left out, dead letters are its own, a path naming another
 * tenant is not found, a `tenant` filter (what-if's, in its body) is forced to the caller's,
 * and the cross-tenant delivery health is refused. Without tokens (a loopback-only laptop
 * run) the routes are open, like ingest.
 */
export async function registerAllInOneReads(
  app: FastifyInstance,
  options: {
    readonly tokens: readonly GatewayCredential[];
    readonly decisions: DecisionLog;
    readonly revoker: LocalRevoker;
    readonly deadLetters: LocalDeadLetters;
    readonly clickhouse: ClickHouseClient;
    readonly database: string;
    readonly baselines: LocalBaselines;
    readonly detector: WhatIfDetector;
    readonly settings: ModelSettings;
  },
): Promise<void> {
  const { tokens, decisions, revoker, deadLetters } = options;
  const callerOf = (request: FastifyRequest) =>
    tokens.length === 0
      ? undefined
      : authenticateBearer(request.headers.authorization, tokens);
  const unauthorized = (reply: FastifyReply) =>
    reply.code(401).header("www-authenticate", 'Bearer realm="warden"').send({
      error: "unauthorized",
      message: "a valid gateway bearer token is required",
    });
  const limitOf = (request: FastifyRequest, reply: FastifyReply) => {
    const limit = readDecisionLimit(request.query);
    if (!limit.ok)
      void reply
        .code(400)
        .send({ error: "invalid_request", message: limit.message });
    return limit.ok ? limit.value : undefined;
  };
  await app.register((scope, _options, done) => {
    scope.addHook("preHandler", async (request, reply) => {
      if (tokens.length > 0 && !callerOf(request)) return unauthorized(reply);
      return undefined;
    });
    scope.get("/v1/decisions", async (request, reply) => {
      const limit = limitOf(request, reply);
      if (limit === undefined) return reply;
      return reply.send(decisions.latest(limit, callerOf(request)?.tenant));
    });
    scope.get("/v1/kill-switch", async (request, reply) => {
      const tenant = callerOf(request)?.tenant;
      return reply.send(
        revoker
          .revoked()
          .filter((item) => tenant === undefined || item.tenant === tenant),
      );
    });
    scope.get("/v1/dead-letters/count", async (request, reply) =>
      reply.send(await deadLetters.countByReason(callerOf(request)?.gateway)),
    );
    scope.get("/v1/dead-letters", async (request, reply) => {
      const limit = limitOf(request, reply);
      if (limit === undefined) return reply;
      const records = await deadLetters.latest(
        limit,
        callerOf(request)?.gateway,
      );
      return reply.send(records.map(deadLetterJsonRecord));
    });
    scope.get("/v1/events/count", async (_request, reply) => {
      const rows = await (
        await options.clickhouse.query({
          query: `SELECT count() AS events FROM ${options.database}.events`,
          format: "JSONEachRow",
        })
      ).json();
      return reply.send(rows[0]);
    });
    done();
  });
  await app.register((scope, _options, done) => {
    scope.addHook("preHandler", async (request, reply) => {
      if (tokens.length === 0) return;
      const caller = callerOf(request);
      if (!caller) return unauthorized(reply);
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
      settings: options.settings,
      baseline: (key) => Promise.resolve(options.baselines.model(key) ?? null),
    });
    done();
  });
}
