import type { ClickHouseClient } from "@clickhouse/client";
import cors from "@fastify/cors";
import { fastify, type FastifyInstance, type FastifyReply } from "fastify";
import type { KV } from "nats";
import { listenOn, type Logger } from "@warden/shared";
import {
  agentBaselineKey,
  decodeBaseline,
  peerBaselineKey,
  tenantBaselineKey,
  type BaselineModel,
} from "@warden/shared";
import {
  bearerMatches,
  encodeCursor,
  parseCursor,
  parseLimit,
  parseRange,
  type Parsed,
} from "./query-params.js";
import { registerConsoleRoutes } from "./console-routes.js";
import { registerWhatIfRoutes, type Detector } from "./what-if-route.js";
import type { ModelSettings } from "../config.js";
import { buildModelsAt } from "../store/models-at.js";

/**
 * The read-only query API (bearer token): an agent's baselines, its events, decisions and
 * revocations (newest first, paged by keyset cursor, within a time range), and the agents
 * ranked by recent risk. Reads ClickHouse and the KV bucket; never writes.
 */

interface Query {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: string;
  readonly cursor?: string;
  readonly tenant?: string;
}

interface AgentParams {
  readonly tenant: string;
  readonly agent: string;
}

const HISTORY = {
  events: { id: "event_id", time: "time" },
  decisions: { id: "decision_id", time: "at" },
  revocations: { id: "revocation_id", time: "at" },
} as const;

export interface QueryApi {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startQueryApi(options: {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Browser origins allowed by CORS (none by default). */
  readonly corsOrigins?: readonly string[];
  readonly clickhouse: ClickHouseClient;
  readonly database: string;
  readonly kv: KV;
  readonly logger: Logger;
  /** The detector's settings, for POST /v1/what-if. */
  readonly detector: Detector;
  /** The baseline models' settings, for what-if's refreshes. */
  readonly settings: ModelSettings;
}): Promise<QueryApi> {
  const app = fastify({ logger: false });

  // The console reads this API from the revoker's origin: its bearer token is sent in a header
  // (never a cookie), so allowing the origin exposes nothing to a page that lacks the token.
  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0)
    await app.register(cors, {
      origin: [...corsOrigins],
      methods: ["GET", "POST"],
      allowedHeaders: ["authorization", "content-type"],
      maxAge: 600,
    });

  app.addHook("onRequest", async (request, reply) => {
    // A CORS preflight carries no credentials by design; @fastify/cors answers it.
    if (request.method === "OPTIONS" && corsOrigins.length > 0) return;
    // CSRF: a browser names the page that sent a POST; only the allowed origins may (programs
    // send no Origin and are unaffected). The bearer header already keeps forms out.
    if (request.method !== "GET" && request.method !== "HEAD") {
      const origin = request.headers.origin;
      const site = request.headers["sec-fetch-site"];
      if (
        (origin !== undefined && !corsOrigins.includes(origin)) ||
        (origin === undefined &&
          (site === "cross-site" || site === "same-site"))
      )
        return reply.code(403).send({
          error: "cross_site_request",
          description: "state-changing requests from other sites are refused",
        });
    }
    if (!bearerMatches(request.headers.authorization, options.token))
      return reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: "a valid bearer token is required" });
  });

  registerQueryRoutes(app, {
    clickhouse: options.clickhouse,
    database: options.database,
    detector: options.detector,
    settings: options.settings,
    async baseline(key) {
      const entry = await options.kv.get(key);
      if (!entry || entry.value.length === 0) return null;
      const decoded = decodeBaseline(entry.value);
      return decoded.ok ? decoded.model : null;
    },
  });

  const port = await listenOn(
    app,
    options.host,
    options.port,
    "BASELINE_API_PORT",
  );
  options.logger.info({ host: options.host, port }, "query API listening");
  return { port, stop: () => app.close() };
}

/**
 * The query routes on any fastify instance (this service's own, or the all-in-one's behind its
 * guard): events, decisions and revocations from ClickHouse, models from `baseline` (the KV
 * bucket here, the embedded store in the all-in-one).
 */
export function registerQueryRoutes(
  app: FastifyInstance,
  options: {
    readonly clickhouse: ClickHouseClient;
    readonly database: string;
    baseline(key: string): Promise<BaselineModel | null>;
    /** The detector's settings, for POST /v1/what-if. */
    readonly detector: Detector;
    /** The baseline models' settings (window, refresh interval), for what-if's refreshes. */
    readonly settings: ModelSettings;
  },
): void {
  const { clickhouse, database: db } = options;

  async function rows<T>(
    query: string,
    params: Record<string, unknown>,
  ): Promise<T[]> {
    const result = await clickhouse.query({
      query,
      query_params: params,
      format: "JSONEachRow",
    });
    return result.json<T>();
  }

  function unwrap<T>(parsed: Parsed<T>, reply: FastifyReply): T | undefined {
    if (parsed.ok) return parsed.value;
    if (!reply.sent) void reply.code(400).send({ error: parsed.problem });
    return undefined;
  }

  app.get<{ Params: AgentParams }>(
    "/v1/agents/:tenant/:agent/baseline",
    async (request) => {
      const { tenant, agent } = request.params;
      const own = await options.baseline(agentBaselineKey(tenant, agent));
      const kind =
        own?.scope.level === "agent" ? own.scope.agentKind : undefined;
      return {
        agent: own,
        peer:
          kind === undefined
            ? null
            : await options.baseline(peerBaselineKey(tenant, kind)),
        tenant: await options.baseline(tenantBaselineKey(tenant)),
      };
    },
  );

  for (const [table, columns] of Object.entries(HISTORY)) {
    app.get<{ Params: AgentParams; Querystring: Query }>(
      `/v1/agents/:tenant/:agent/${table}`,
      async (request, reply) => {
        const range = unwrap(parseRange(request.query, Date.now()), reply);
        const limit = unwrap(parseLimit(request.query.limit), reply);
        const cursor = unwrap(parseCursor(request.query.cursor), reply);
        if (range === undefined || limit === undefined || reply.sent)
          return reply;
        const after = cursor
          ? `AND (${columns.time}, ${columns.id}) < (fromUnixTimestamp64Milli({cursor_time:Int64}), {cursor_id:String})`
          : "";
        const found = await rows<{ id: string; time_ms: string; raw: string }>(
          `SELECT ${columns.id} AS id, toUnixTimestamp64Milli(${columns.time}) AS time_ms, raw
          FROM ${db}.${table} FINAL
          WHERE tenant = {tenant:String} AND agent_id = {agent:String}
            AND ${columns.time} >= fromUnixTimestamp64Milli({from:Int64})
            AND ${columns.time} < fromUnixTimestamp64Milli({to:Int64}) ${after}
          ORDER BY ${columns.time} DESC, ${columns.id} DESC
          LIMIT {limit:UInt32}`,
          {
            ...request.params,
            from: range.fromMs,
            to: range.toMs,
            limit,
            cursor_time: cursor?.timeMs ?? 0,
            cursor_id: cursor?.id ?? "",
          },
        );
        const last = found[found.length - 1];
        return {
          [table]: found.map((row) => JSON.parse(row.raw) as unknown),
          next:
            found.length === limit && last
              ? encodeCursor({ timeMs: Number(last.time_ms), id: last.id })
              : null,
        };
      },
    );
  }

  app.get<{ Querystring: Query }>("/v1/agents", async (request, reply) => {
    const range = unwrap(parseRange(request.query, Date.now()), reply);
    const limit = unwrap(parseLimit(request.query.limit), reply);
    if (range === undefined || limit === undefined || reply.sent) return reply;
    const ofTenant = request.query.tenant ? "AND tenant = {tenant:String}" : "";
    const window = (column: string): string =>
      `${column} >= fromUnixTimestamp64Milli({from:Int64}) AND ${column} < fromUnixTimestamp64Milli({to:Int64}) ${ofTenant}`;
    const agents = await rows<Record<string, string | number>>(
      `SELECT a.tenant AS tenant, a.agent_id AS agent_id, a.calls AS calls,
        d.max_risk AS max_risk, d.decisions AS decisions, d.revokes AS revokes
      FROM (SELECT tenant, agent_id, sum(calls) AS calls FROM ${db}.events_per_minute
        WHERE ${window("minute")} GROUP BY tenant, agent_id) AS a
      LEFT JOIN (SELECT tenant, agent_id, max(risk) AS max_risk, count() AS decisions,
          countIf(action = 'revoke') AS revokes
        FROM ${db}.decisions FINAL WHERE ${window("at")} GROUP BY tenant, agent_id) AS d
      ON a.tenant = d.tenant AND a.agent_id = d.agent_id
      ORDER BY max_risk DESC, decisions DESC, calls DESC, tenant, agent_id
      LIMIT {limit:UInt32}`,
      {
        from: range.fromMs,
        to: range.toMs,
        limit,
        tenant: request.query.tenant ?? "",
      },
    );
    return {
      agents: agents.map((row) => ({
        tenant: row["tenant"],
        agent_id: row["agent_id"],
        calls: Number(row["calls"]),
        max_risk: Number(row["max_risk"]),
        decisions: Number(row["decisions"]),
        revokes: Number(row["revokes"]),
      })),
    };
  });

  registerConsoleRoutes(app, { rows, database: db, unwrap });
  registerWhatIfRoutes(app, {
    rows,
    database: db,
    detector: options.detector,
    settings: options.settings,
    modelsAt: (tickMs) =>
      buildModelsAt(clickhouse, db, options.settings, tickMs),
  });
}
