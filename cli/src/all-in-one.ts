import {
  acceptedKeys,
  classifyBatch,
  createDeduplicator,
  createIngestMetrics,
  registerHttpIngest,
  type IngestConfig,
  type IngestSink,
  type LineResult,
} from "@warden/ingest";
import { ensureEventsTable, insertEvents } from "@warden/baseline";
import {
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
  createScoringEngine,
} from "@warden/detector";
import {
  createClickHouse,
  createRegistry,
  listenOn,
  type ClickHouseConfig,
  type DecisionV1,
  type Logger,
} from "@warden/shared";
import { fastify, type FastifyInstance } from "fastify";
import {
  countDeadLettersByReason,
  ensureDeadLettersTable,
  insertDeadLetters,
} from "./all-in-one-dead-letters.js";

/**
 * The all-in-one mode: ingest, store and detect in one process, with embedded chDB and
 * an in-process bus. Events arrive on POST /v1/events (the same HTTP ingest as the
 * cluster); decisions are logged and kept for GET /v1/decisions.
 */
const ALL_IN_ONE_MAX_AGENTS = 100_000;
const ALL_IN_ONE_IDLE_EVICT_MS = 6 * 60 * 60_000;

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
  /** The ingest service's own settings (INGEST_*): limits, de-dup window, gateway tokens. */
  readonly ingest: IngestConfig;
  readonly logger: Logger;
}): Promise<AllInOne> {
  const log = options.logger.child({ component: "all-in-one" });
  const database = options.clickhouse.database;
  const clickhouse = await createClickHouse(options.clickhouse);
  await ensureEventsTable(clickhouse, database);
  await ensureDeadLettersTable(clickhouse, database);
  const registry = createRegistry("all-in-one");
  const metrics = createIngestMetrics(registry);
  const { ingest } = options;
  const deduplicator = createDeduplicator({
    windowMs: ingest.dedupWindowMs,
    maxEntries: ingest.dedupMaxEntries,
  });
  // No baselines in all-in-one mode yet: the engine's no-baseline limits apply.
  const engine = createScoringEngine({
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: DEFAULT_POLICY,
    maxAgents: ALL_IN_ONE_MAX_AGENTS,
    idleEvictMs: ALL_IN_ONE_IDLE_EVICT_MS,
  });
  const decisions: DecisionV1[] = [];

  const sink: IngestSink = async (messages, gateway) => {
    const nowMs = Date.now();
    const outcomes = classifyBatch(
      messages,
      { ...ingest, nowMs },
      deduplicator,
    );
    const accepted = outcomes.flatMap((outcome) =>
      outcome.kind === "accepted" ? [outcome.event] : [],
    );
    await insertEvents(clickhouse, database, accepted);
    await insertDeadLetters(
      clickhouse,
      database,
      outcomes.flatMap((outcome, index) =>
        outcome.kind === "rejected"
          ? [
              {
                received_at: nowMs,
                reason: outcome.reason,
                detail: outcome.detail,
                gateway: gateway ?? "",
                raw_base64: (messages[index] ?? Buffer.alloc(0)).toString(
                  "base64",
                ),
              },
            ]
          : [],
      ),
    );
    deduplicator.remember(acceptedKeys(outcomes));
    metrics.countOutcomes(
      outcomes.map((outcome) => ({ outcome, source: "http" as const })),
      nowMs,
    );
    for (const event of accepted) {
      const { decision } = engine.observe(event, new Date().toISOString());
      if (!decision) continue;
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
    return outcomes.map((outcome, index): LineResult => {
      const line = index + 1;
      if (outcome.kind === "rejected")
        return {
          line,
          status: "rejected",
          reason: outcome.reason,
          detail: outcome.detail,
        };
      return { line, status: outcome.kind };
    });
  };

  const app = fastify({ logger: false });
  await registerHttpIngest(app, {
    tokens: ingest.httpTokens,
    limits: ingest.httpLimits,
    metrics,
    sink,
  });
  app.get("/v1/decisions", (_request, reply) => reply.send(decisions));
  app.get("/v1/dead-letters/count", async (_request, reply) =>
    reply.send(await countDeadLettersByReason(clickhouse, database)),
  );
  app.get("/v1/events/count", async (_request, reply) => {
    const rows = await (
      await clickhouse.query({
        query: `SELECT count() AS events FROM ${database}.events`,
        format: "JSONEachRow",
      })
    ).json();
    return reply.send(rows[0]);
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

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
