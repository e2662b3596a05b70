import { createRequire } from "node:module";
import {
  createServer as createHttpServer,
  type RequestListener,
  type Server,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  authenticateBearer,
  OPEN_BINDING,
  createDeduplicator,
  createIngestMetrics,
  createMappedRoutes,
  deadLetterJsonRecord,
  httpDeadLetterHeaders,
  openLocalDeadLetters,
  registerHttpIngest,
  registerMappedIngest,
  type IngestConfig,
  type LineResult,
  type LocalDeadLetters,
} from "@warden/ingest";
import {
  ensureEventsTable,
  insertDecisions,
  insertEvents,
  insertRevocations,
  createRefreshMetrics,
  loadBaselineConfig,
  startLocalBaselines,
  type LocalBaselineCounts,
  type ModelSettings,
} from "@warden/baseline";
import {
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
  createDetectorMetrics,
  createScoringEngine,
} from "@warden/detector";
import {
  PortInUseError,
  createClickHouse,
  createRegistry,
  type ClickHouseConfig,
  type DecisionV1,
  type Logger,
} from "@warden/shared";
import {
  DEFAULT_FINDING_SINK_ATTEMPTS,
  createFindingSinks,
  decisionFinding,
  startLocalRevoker,
  type AuditRecord,
  type LocalRevoker,
  type LocalRevokerCounts,
  type RevokerConfig,
  type ServerTls,
} from "@warden/revoker";
import {
  fastify,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { createAllInOnePipeline } from "./all-in-one-pipeline.js";
import type { TransmitterConfig } from "./all-in-one-config.js";
import { registerConsole } from "@warden/console";
import { registerAllInOneQueries } from "./all-in-one-queries.js";
import {
  createDecisionLog,
  readDecisionLimit,
  type DecisionLog,
} from "./decision-log.js";

/**
 * The all-in-one mode: ingest, store, detect and revoke in one process, with embedded chDB and
 * the revoker's own transmitter over local durable ports (data directory). Events arrive on
 * POST /v1/events (the same HTTP ingest as the cluster); decisions are kept (bounded) for
 * GET /v1/decisions and handed to the revoker, whose SSF API (metadata, JWKS, streams, poll,
 * admin) is served on the same port.
 */
const ALL_IN_ONE_MAX_AGENTS = 100_000;
const ALL_IN_ONE_IDLE_EVICT_MS = 6 * 60 * 60_000;
/** The operator's push stream (WARDEN_PUSH_URL). */
export const CONFIGURED_PUSH_STREAM = "configured-push";

export interface AllInOne {
  readonly port: number;
  /** `http(s)://<host>:<port>`, also the default SET issuer. */
  readonly url: string;
  readonly issuer: string;
  readonly app: FastifyInstance;
  readonly revoker: LocalRevoker;
  /** The HTTP ingest's own path, for an in-process feed (the demo): same checks, same counts. */
  ingest(messages: readonly Buffer[]): Promise<LineResult[]>;
  stats(): AllInOneStats;
  stop(): Promise<void>;
}

export interface AllInOneStats {
  readonly accepted: number;
  readonly rejected: number;
  /** Agents the detector holds state for. */
  readonly agents: number;
  readonly decisions: Readonly<Record<DecisionV1["action"], number>>;
  readonly sets: LocalRevokerCounts;
  readonly baselines: LocalBaselineCounts;
}

/**
 * Binds the port first, so the issuer (the all-in-one's own URL) is known before routes are;
 * until `serve` hands it the app's handler, every request is answered 503 (starting). Over
 * HTTPS when `tls` is given, with the revoker's floor (TLS 1.2, CAEP interop profile §2.1).
 */
async function bind(
  host: string,
  port: number,
  tls: ServerTls | undefined,
): Promise<{ server: Server; serve: (handler: RequestListener) => void }> {
  let handler: RequestListener | undefined;
  const listener: RequestListener = (request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503, { "retry-after": "1" }).end();
  };
  const server: Server = tls
    ? createHttpsServer(
        { cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        (error as { code?: string }).code === "EADDRINUSE"
          ? new PortInUseError(host, port, "--port", error)
          : error,
      ),
    );
    server.listen({ host, port }, resolve);
  });
  return { server, serve: (app) => (handler = app) };
}

const { version: WARDEN_VERSION } = createRequire(import.meta.url)(
  "../package.json",
) as { version: string };

/** The revoker's connector defaults, for finding sinks: 10 s calls, back-off 0.5 s → 30 s. */
const FINDING_SINK_POLICY = {
  timeoutMs: 10_000,
  maxResponseBytes: 64 * 1024,
  retryInitialMs: 500,
  retryMaxMs: 30_000,
  deadLetterAfterMs: 24 * 60 * 60 * 1000,
  attempts: DEFAULT_FINDING_SINK_ATTEMPTS,
} as const;

/**
 * The all-in-one's own read routes. They answer only a known gateway when tokens are
 * configured, like POST /v1/events, and show a gateway only its own tenant's decisions and
 * revocations and its own dead letters.
 */
function registerReadRoutes(
  app: FastifyInstance,
  context: {
    readonly tokens: IngestConfig["httpTokens"];
    readonly decisions: DecisionLog;
    readonly revoker: LocalRevoker;
    readonly deadLetters: LocalDeadLetters;
    readonly clickhouse: Awaited<ReturnType<typeof createClickHouse>>;
    readonly database: string;
  },
): void {
  const { tokens, decisions, revoker, deadLetters, clickhouse, database } =
    context;
  const callerTenant = (request: FastifyRequest): string | undefined =>
    tokens.length === 0
      ? undefined
      : authenticateBearer(request.headers.authorization, tokens)?.tenant;
  const readGuard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (tokens.length === 0) return;
    if (authenticateBearer(request.headers.authorization, tokens)) return;
    await reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="warden"')
      .send({
        error: "unauthorized",
        message: "a valid gateway bearer token is required",
      });
  };
  const ofCaller = <T extends { readonly tenant: string }>(
    request: FastifyRequest,
    items: readonly T[],
  ): T[] => {
    const tenant = callerTenant(request);
    return items.filter(
      (item) => tenant === undefined || item.tenant === tenant,
    );
  };
  const guarded = { preHandler: readGuard };
  app.get("/v1/decisions", guarded, (request, reply) => {
    const limit = readDecisionLimit(request.query);
    if (!limit.ok)
      return reply
        .code(400)
        .send({ error: "invalid_request", message: limit.message });
    const tenant = callerTenant(request);
    return reply.send(decisions.latest(limit.value, tenant));
  });
  app.get("/v1/kill-switch", guarded, (request, reply) =>
    reply.send(ofCaller(request, revoker.revoked())),
  );
  const callerGateway = (request: FastifyRequest): string | undefined =>
    tokens.length === 0
      ? undefined
      : authenticateBearer(request.headers.authorization, tokens)?.gateway;
  app.get("/v1/dead-letters/count", guarded, async (request, reply) =>
    reply.send(await deadLetters.countByReason(callerGateway(request))),
  );
  app.get("/v1/dead-letters", guarded, async (request, reply) => {
    const limit = readDecisionLimit(request.query);
    if (!limit.ok)
      return reply
        .code(400)
        .send({ error: "invalid_request", message: limit.message });
    const records = await deadLetters.latest(
      limit.value,
      callerGateway(request),
    );
    return reply.send(records.map(deadLetterJsonRecord));
  });
  app.get("/v1/events/count", guarded, async (_request, reply) => {
    const rows = await (
      await clickhouse.query({
        query: `SELECT count() AS events FROM ${database}.events`,
        format: "JSONEachRow",
      })
    ).json();
    return reply.send(rows[0]);
  });
}

export async function startAllInOne(options: {
  readonly host: string;
  readonly port: number;
  readonly clickhouse: ClickHouseConfig;
  /** The ingest service's own settings (INGEST_*): limits, de-dup window, gateway tokens. */
  readonly ingest: IngestConfig;
  /** The revoker's settings (REVOKER_*): receivers, delivery, approvals, SET options. */
  readonly revoker: RevokerConfig;
  readonly transmitter: TransmitterConfig;
  /** The baseline service's model settings (BASELINE_*); its defaults when left out. */
  readonly baselines?: ModelSettings;
  /** Where queued SETs, streams, approvals, the kill switch, keys and audit persist. */
  readonly dataDir: string;
  /** Serve https with this certificate (REVOKER_TLS_CERT_FILE / _KEY_FILE, read at start-up). */
  readonly tls: ServerTls | undefined;
  readonly logger: Logger;
  readonly onAudit?: (record: AuditRecord) => void;
}): Promise<AllInOne> {
  const log = options.logger.child({ component: "all-in-one" });
  const { server, serve } = await bind(options.host, options.port, options.tls);
  const address = server.address();
  const port =
    typeof address === "object" && address !== null
      ? address.port
      : options.port;
  const selfUrl = `${options.tls ? "https" : "http"}://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  const issuer = options.transmitter.issuer ?? selfUrl;
  let handler: RequestListener | undefined;
  const app = fastify({
    logger: false,
    serverFactory: (appHandler) => {
      handler = appHandler;
      return server;
    },
  });
  const database = options.clickhouse.database;
  const clickhouse = await createClickHouse(options.clickhouse);
  await ensureEventsTable(clickhouse, database);
  const deadLetters = await openLocalDeadLetters(clickhouse, database);
  const registry = createRegistry("all-in-one");
  const metrics = createIngestMetrics(registry);
  const detectorMetrics = createDetectorMetrics(registry);
  const { ingest } = options;
  const deduplicator = createDeduplicator({
    windowMs: ingest.dedupWindowMs,
    maxEntries: ingest.dedupMaxEntries,
  });
  // One definition for the live engine and the what-if route, which scores with the same.
  const detector = {
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: DEFAULT_POLICY,
    policyFile: "",
    maxAgents: ALL_IN_ONE_MAX_AGENTS,
    idleEvictMs: ALL_IN_ONE_IDLE_EVICT_MS,
  };
  const engine = createScoringEngine(detector);
  // The baseline service's models over the embedded store, on the event-time watermark.
  const baselines = await startLocalBaselines({
    clickhouse,
    database,
    settings: options.baselines ?? loadBaselineConfig({}).model,
    index: engine.baselines,
    metrics: createRefreshMetrics(registry),
    logger: options.logger,
  });
  const decisions = createDecisionLog();
  // The revoker's audit records go to the revocations table the query API reads, in order,
  // one insert at a time (the callback is synchronous; stop waits for the last).
  let audits: Promise<void> = Promise.resolve();
  const recordAudit = (record: AuditRecord): void => {
    audits = audits
      .then(() => insertRevocations(clickhouse, database, [record]))
      .catch((error: unknown) =>
        log.error({ error: String(error) }, "audit record not stored"),
      );
  };
  const revoker = await startLocalRevoker({
    dataDir: options.dataDir,
    config: {
      ...options.revoker,
      signing: {
        ...options.revoker.signing,
        alg: options.transmitter.signingAlg,
      },
      delivery: {
        ...options.revoker.delivery,
        timeoutMs: options.transmitter.pushTimeoutMs,
      },
    },
    issuer,
    signingKeyFile: options.transmitter.signingKeyFile,
    app,
    registry,
    logger: options.logger,
    onAudit: (record) => {
      options.onAudit?.(record);
      recordAudit(record);
    },
  });
  if (options.transmitter.push)
    await revoker.addOperatorStream(
      CONFIGURED_PUSH_STREAM,
      options.transmitter.push,
    );

  // Every decision as an OCSF Detection Finding to the configured SIEM sinks, off the ingest
  // path; a sink that refuses or stays down gets its findings in the dead-letter table.
  const findingSinks = createFindingSinks({
    sinks: options.transmitter.findingSinks,
    policy: FINDING_SINK_POLICY,
    logger: options.logger,
    deadLetter: (target, findings, reason) =>
      deadLetters.write([
        {
          key: null,
          value: Buffer.from(JSON.stringify(findings)),
          headers: httpDeadLetterHeaders(
            {
              reason: "finding_undelivered",
              detail: `${target.type} ${target.id}: ${reason}`,
            },
            new Date(),
            undefined,
          ),
        },
      ]),
  });
  const findingsInFlight = new Set<Promise<void>>();
  const sendFinding = (decision: DecisionV1): void => {
    if (options.transmitter.findingSinks.length === 0) return;
    const sent = findingSinks
      .send([decisionFinding(decision, WARDEN_VERSION)])
      .catch((error: unknown) =>
        log.error(
          { error: String(error) },
          "finding not delivered nor dead-lettered",
        ),
      )
      .finally(() => findingsInFlight.delete(sent));
    findingsInFlight.add(sent);
  };

  const { sink, deadLetter, counts } = createAllInOnePipeline({
    ingest,
    deduplicator,
    ingestMetrics: metrics,
    detectorMetrics,
    engine,
    // The baseline service's models for the event's tick, refreshed on the watermark.
    baselines: { prepare: (event) => baselines.advance(event.time_ms) },
    store: (events) => insertEvents(clickhouse, database, events),
    deadLetters,
    async record(decision) {
      decisions.add(decision);
      await insertDecisions(clickhouse, database, [decision]);
      sendFinding(decision);
    },
    act: (decision) => revoker.handle(decision),
    logger: options.logger,
  });
  const guard = {
    tokens: ingest.httpTokens,
    limits: ingest.httpLimits,
    metrics,
    sink,
  };
  await registerHttpIngest(app, guard);
  await registerMappedIngest(app, {
    ...guard,
    deadLetter,
    routes: createMappedRoutes(ingest.otlp),
  });
  registerReadRoutes(app, {
    tokens: ingest.httpTokens,
    decisions,
    revoker,
    deadLetters,
    clickhouse,
    database,
  });
  await registerAllInOneQueries(app, {
    clickhouse,
    database,
    baselines,
    tokens: ingest.httpTokens,
    detector,
  });
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  // The SOC console (REVOKER_CONSOLE), reading the query API and the admin routes on this
  // same origin: no query API URL to configure, no CORS.
  if (options.revoker.console.enabled) await registerConsole(app);
  await app.ready();
  if (handler) serve(handler);

  log.info(
    { host: options.host, port, issuer, data_dir: options.dataDir },
    "warden all-in-one listening: POST NDJSON to /v1/events",
  );
  return {
    port,
    url: selfUrl,
    issuer,
    app,
    revoker,
    // In-process callers (the demo's own traffic) are this process, not a gateway.
    ingest: (messages) => sink(messages, OPEN_BINDING),
    stats: () => ({
      ...counts,
      agents: engine.agents,
      decisions: decisions.counts(),
      sets: revoker.counts(),
      baselines: baselines.counts(),
    }),
    async stop() {
      await app.close();
      // fastify closes only a server it started listening itself.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(findingsInFlight);
      await baselines.stop();
      await revoker.stop();
      await audits;
      await clickhouse.close();
    },
  };
}
