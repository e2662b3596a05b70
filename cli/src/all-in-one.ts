import {
  acceptAuditMessage,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  type Rejection,
} from "@warden/ingest";
import { ensureEventsTable, insertEvents } from "@warden/baseline";
import {
  DEFAULT_BURST_RULE,
  observeBurst,
  type BurstState,
} from "@warden/detector";
import {
  createClickHouse,
  listenOn,
  type ClickHouseConfig,
  type CanonicalEvent,
  type DecisionV1,
  type Logger,
} from "@warden/shared";
import { fastify, type FastifyInstance } from "fastify";

/**
 * The all-in-one mode: ingest, store and detect in one process, with embedded chDB and
 * an in-process bus. Events arrive as NDJSON on POST /v1/events; decisions are logged
 * and kept for GET /v1/decisions.
 */
export interface AllInOne {
  readonly port: number;
  readonly app: FastifyInstance;
  readonly decisions: readonly DecisionV1[];
  stop(): Promise<void>;
}

export async function startAllInOne(options: {
  readonly host: string;
  readonly port: number;
  readonly clickhouse: ClickHouseConfig;
  readonly logger: Logger;
}): Promise<AllInOne> {
  const log = options.logger.child({ component: "all-in-one" });
  const clickhouse = await createClickHouse(options.clickhouse);
  await ensureEventsTable(clickhouse, options.clickhouse.database);
  const burstState: BurstState = new Map();
  const decisions: DecisionV1[] = [];
  const app = fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.addContentTypeParser(
    ["application/x-ndjson", "text/plain", "application/json"],
    { parseAs: "buffer" },
    (_request, body, done) => done(null, body),
  );

  app.post("/v1/events", async (request, reply) => {
    const body = request.body as Buffer;
    const accepted: CanonicalEvent[] = [];
    const results: (
      | { line: number; status: "accepted" }
      | { line: number; status: "rejected"; reason: Rejection; detail: string }
    )[] = [];
    const lines = body.toString("utf8").split("\n");
    const nowMs = Date.now();
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      const outcome = acceptAuditMessage(Buffer.from(line, "utf8"), {
        maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
        maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS,
        nowMs,
      });
      if (outcome.ok) {
        accepted.push(outcome.event);
        results.push({ line: index + 1, status: "accepted" });
      } else {
        results.push({
          line: index + 1,
          status: "rejected",
          reason: outcome.reason,
          detail: outcome.detail,
        });
      }
    });
    await insertEvents(clickhouse, options.clickhouse.database, accepted);
    for (const event of accepted) {
      const decision = observeBurst(
        burstState,
        DEFAULT_BURST_RULE,
        event,
        new Date().toISOString(),
      );
      if (decision) {
        decisions.push(decision);
        log.warn(
          {
            decision_id: decision.decision_id,
            agent_id: decision.agent_id,
            summary: decision.reasons[0]?.summary,
          },
          "revoke decision",
        );
      }
    }
    return reply.code(202).send({
      accepted: accepted.length,
      rejected: results.length - accepted.length,
      results,
    });
  });
  app.get("/v1/decisions", (_request, reply) => reply.send(decisions));
  app.get("/v1/events/count", async (_request, reply) => {
    const rows = await (
      await clickhouse.query({
        query: `SELECT count() AS events FROM ${options.clickhouse.database}.events`,
        format: "JSONEachRow",
      })
    ).json();
    return reply.send(rows[0]);
  });

  const port = await listenOn(app, options.host, options.port, "--port");
  log.info(
    { host: options.host, port },
    "warden all-in-one listening: POST NDJSON to /v1/events",
  );
  return {
    port,
    app,
    decisions,
    async stop() {
      await app.close();
      await clickhouse.close();
    },
  };
}
