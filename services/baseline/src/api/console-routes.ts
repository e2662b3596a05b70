import type { FastifyInstance, FastifyReply } from "fastify";
import { CLOSED_STATES, incidentState } from "./incident-state.js";
import { parseLimit, parseRange, type Parsed } from "./query-params.js";

/**
 * Query routes the SOC console needs beyond one agent's history (issue 19): the incidents
 * across agents, ranked by risk, with what the revoker did about them; the SET deliveries per
 * SSF stream; and one agent's activity per minute with the credentials and networks it used. Read-only, like the rest.
 */

type Rows = <T>(query: string, params: Record<string, unknown>) => Promise<T[]>;

interface RangeQuery {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: string;
  readonly tenant?: string;
  readonly state?: string;
}

interface IncidentRow {
  readonly tenant: string;
  readonly agent_id: string;
  readonly decisions: string;
  readonly max_risk: number;
  readonly first_ms: string;
  readonly last_ms: string;
  readonly raw: string;
  readonly audit_action: string;
  readonly audit_step: string;
  readonly audit_ms: string;
}

/** Most credentials / source networks listed per agent. */
const TOP_USED = 20;

interface Context {
  readonly rows: Rows;
  readonly database: string;
  readonly unwrap: <T>(parsed: Parsed<T>, reply: FastifyReply) => T | undefined;
}

export function registerConsoleRoutes(
  app: FastifyInstance,
  options: Context,
): void {
  registerIncidents(app, options);
  registerDeliveries(app, options);
  registerActivity(app, options);
}

/** Open incidents across agents, ranked by risk, with what the revoker did about each. */
function registerIncidents(app: FastifyInstance, context: Context): void {
  const { rows, database: db, unwrap } = context;
  app.get<{ Querystring: RangeQuery }>(
    "/v1/incidents",
    async (request, reply) => {
      const range = unwrap(parseRange(request.query, Date.now()), reply);
      const limit = unwrap(parseLimit(request.query.limit), reply);
      const state = request.query.state ?? "open";
      if (state !== "open" && state !== "all" && !reply.sent)
        return reply.code(400).send({ error: "state must be open or all" });
      if (range === undefined || limit === undefined || reply.sent)
        return reply;
      const ofTenant = request.query.tenant
        ? "AND tenant = {tenant:String}"
        : "";
      const found = await rows<IncidentRow>(
        `SELECT d.tenant AS tenant, d.agent_id AS agent_id, d.decisions AS decisions,
          d.max_risk AS max_risk, d.first_ms AS first_ms, d.last_ms AS last_ms, d.raw AS raw,
          r.audit_action AS audit_action, r.audit_step AS audit_step, r.audit_ms AS audit_ms
        FROM (SELECT tenant, agent_id, count() AS decisions, max(risk) AS max_risk,
            toUnixTimestamp64Milli(min(at)) AS first_ms, toUnixTimestamp64Milli(max(at)) AS last_ms,
            argMax(raw, (risk, at)) AS raw
          FROM ${db}.decisions FINAL
          WHERE at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64}) ${ofTenant}
          GROUP BY tenant, agent_id) AS d
        LEFT JOIN (SELECT tenant, agent_id,
            argMax(JSONExtractString(raw, 'action'), at) AS audit_action,
            argMax(JSONExtractString(raw, 'step'), at) AS audit_step,
            toUnixTimestamp64Milli(max(at)) AS audit_ms
          FROM ${db}.revocations FINAL
          WHERE at >= fromUnixTimestamp64Milli({from:Int64}) ${ofTenant}
          GROUP BY tenant, agent_id) AS r
        ON d.tenant = r.tenant AND d.agent_id = r.agent_id
        ORDER BY max_risk DESC, last_ms DESC, tenant, agent_id
        LIMIT {limit:UInt32}`,
        {
          from: range.fromMs,
          to: range.toMs,
          limit,
          tenant: request.query.tenant ?? "",
        },
      );
      const incidents = found.map((row) => {
        const decision = JSON.parse(row.raw) as { action?: string };
        const lastDecisionMs = Number(row.last_ms);
        return {
          tenant: row.tenant,
          agent_id: row.agent_id,
          state: incidentState({
            decisionAction: decision.action ?? "alert",
            lastDecisionMs,
            ...(row.audit_step
              ? {
                  lastAudit: {
                    action: row.audit_action,
                    step: row.audit_step,
                    atMs: Number(row.audit_ms),
                  },
                }
              : {}),
          }),
          max_risk: Number(row.max_risk),
          decisions: Number(row.decisions),
          first_at: new Date(Number(row.first_ms)).toISOString(),
          last_at: new Date(lastDecisionMs).toISOString(),
          decision,
        };
      });
      return {
        incidents:
          state === "all"
            ? incidents
            : incidents.filter(
                (incident) => !CLOSED_STATES.has(incident.state),
              ),
      };
    },
  );
}

/** SET deliveries per SSF stream over a time range, from the revoker's audit trail. */
function registerDeliveries(app: FastifyInstance, context: Context): void {
  const { rows, database: db, unwrap } = context;
  app.get<{ Querystring: RangeQuery }>(
    "/v1/deliveries",
    async (request, reply) => {
      const range = unwrap(parseRange(request.query, Date.now()), reply);
      if (range === undefined || reply.sent) return reply;
      const found = await rows<Record<string, string>>(
        `SELECT stream_id, any(receiver) AS receiver,
          countIf(step = 'delivered') AS delivered, countIf(step = 'retrying') AS retrying,
          countIf(step = 'refused') AS refused, countIf(step = 'dead_lettered') AS dead_lettered,
          countIf(step = 'dropped') AS dropped,
          toUnixTimestamp64Milli(maxIf(at, step = 'delivered')) AS last_delivered_ms
        FROM (SELECT at, JSONExtractString(raw, 'stream_id') AS stream_id,
            JSONExtractString(raw, 'receiver') AS receiver, JSONExtractString(raw, 'step') AS step
          FROM ${db}.revocations FINAL
          WHERE at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64}))
        WHERE stream_id != ''
        GROUP BY stream_id ORDER BY stream_id`,
        { from: range.fromMs, to: range.toMs },
      );
      return {
        streams: found.map((row) => ({
          stream_id: row["stream_id"],
          receiver: row["receiver"],
          delivered: Number(row["delivered"]),
          retrying: Number(row["retrying"]),
          refused: Number(row["refused"]),
          dead_lettered: Number(row["dead_lettered"]),
          dropped: Number(row["dropped"]),
          last_delivered_at:
            Number(row["delivered"]) > 0
              ? new Date(Number(row["last_delivered_ms"])).toISOString()
              : null,
        })),
      };
    },
  );
}

/** One agent's calls per minute and the credentials and networks it used. */
function registerActivity(app: FastifyInstance, context: Context): void {
  const { rows, database: db, unwrap } = context;
  app.get<{
    Params: { readonly tenant: string; readonly agent: string };
    Querystring: RangeQuery;
  }>("/v1/agents/:tenant/:agent/activity", async (request, reply) => {
    const range = unwrap(parseRange(request.query, Date.now()), reply);
    if (range === undefined || reply.sent) return reply;
    const params = {
      ...request.params,
      from: range.fromMs,
      to: range.toMs,
      top: TOP_USED,
    };
    const window = (column: string): string =>
      `tenant = {tenant:String} AND agent_id = {agent:String}
        AND ${column} >= fromUnixTimestamp64Milli({from:Int64})
        AND ${column} < fromUnixTimestamp64Milli({to:Int64})`;
    const minutes = await rows<{
      t: string;
      calls: string;
      denied: string;
      bytes_out: string;
    }>(
      `SELECT toUnixTimestamp(minute) * 1000 AS t, sum(calls) AS calls,
        sum(denied) AS denied, sum(bytes_out) AS bytes_out
      FROM ${db}.events_per_minute WHERE ${window("minute")}
      GROUP BY minute ORDER BY minute`,
      params,
    );
    const used = (column: string) =>
      rows<{ value: string; calls: string; last_ms: string }>(
        `SELECT ${column} AS value, count() AS calls,
          toUnixTimestamp64Milli(max(time)) AS last_ms
        FROM ${db}.events FINAL WHERE ${window("time")} AND ${column} != ''
        GROUP BY value ORDER BY calls DESC, value LIMIT {top:UInt32}`,
        params,
      );
    const listed = (
      found: { value: string; calls: string; last_ms: string }[],
    ) =>
      found.map((row) => ({
        value: row.value,
        calls: Number(row.calls),
        last_seen: new Date(Number(row.last_ms)).toISOString(),
      }));
    return {
      per_minute: minutes.map((row) => ({
        at: new Date(Number(row.t)).toISOString(),
        calls: Number(row.calls),
        denied: Number(row.denied),
        bytes_out: Number(row.bytes_out),
      })),
      credentials: listed(await used("credential_id")),
      networks: listed(await used("source_ip")),
    };
  });
}
