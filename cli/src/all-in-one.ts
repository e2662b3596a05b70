import { createRequire } from "node:module";
import {
  createServer as createHttpServer,
  type RequestListener,
  type Server,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  OPEN_BINDING,
  createDeduplicator,
  createIngestMetrics,
  createMappedRoutes,
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
  type WhatIfDetector,
} from "@warden/baseline";
import {
  createDecisionLog,
  createDetectorMetrics,
  createScoringEngine,
  watchPolicyFile,
} from "@warden/detector";
import {
  PortInUseError,
  createClickHouse,
  createRegistry,
  type CanonicalEvent,
  type ClickHouseConfig,
  type DecisionV1,
  type Logger,
  type Registry,
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
import type { ClickHouseClient } from "@clickhouse/client";
import { fastify, type FastifyInstance } from "fastify";
import { createAllInOnePipeline } from "./all-in-one-pipeline.js";
import {
  ALL_IN_ONE_DETECTOR_DEFAULTS,
  type TransmitterConfig,
} from "./all-in-one-config.js";
import { registerConsole } from "@warden/console";
import { registerAllInOneReads } from "./all-in-one-routes.js";
import { createAuditCopy, type AuditCopy } from "./audit-copy.js";

/**
 * The all-in-one mode: ingest, store, detect and revoke in one process, with embedded chDB and
 * the revoker's own transmitter over local durable ports (data directory). Events arrive on
 * POST /v1/events (the same HTTP ingest as the cluster); decisions are kept (bounded) for
 * GET /v1/decisions and handed to the revoker, whose SSF API (metadata, JWKS, streams, poll,
 * admin) is served on the same port.
 */
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
  /**
   * Stores checked events as history, unscored (the demo's backfill): the baselines hold them
   * from the next refresh tick on.
   */
  history(events: readonly CanonicalEvent[]): Promise<void>;
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
): Promise<{
  server: Server;
  serve: (handler: RequestListener) => void;
  port: number;
  url: string;
}> {
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
  const address = server.address();
  const bound =
    typeof address === "object" && address !== null ? address.port : port;
  return {
    server,
    serve: (app) => (handler = app),
    port: bound,
    url: `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${bound}`,
  };
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

export interface AllInOneOptions {
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
  /**
   * The detector's settings (DETECTOR_*: limits, agent caps, the policy file, hot-reloaded);
   * ALL_IN_ONE_DETECTOR_DEFAULTS when left out. The what-if route scores with the same.
   */
  readonly detector?: WhatIfDetector;
  /** Where queued SETs, streams, approvals, the kill switch, keys and audit persist. */
  readonly dataDir: string;
  /** Serve https with this certificate (REVOKER_TLS_CERT_FILE / _KEY_FILE, read at start-up). */
  readonly tls: ServerTls | undefined;
  readonly logger: Logger;
  readonly onAudit?: (record: AuditRecord) => void;
  /** Told of every decision once it is recorded (the demo prints why). */
  readonly onDecision?: (decision: DecisionV1) => void;
}

/**
 * Every decision as an OCSF Detection Finding to the configured SIEM sinks, off the ingest
 * path; a sink that refuses or stays down gets its findings in the dead-letter table.
 */
function startFindingForwarder(
  sinks: TransmitterConfig["findingSinks"],
  deadLetters: LocalDeadLetters,
  logger: Logger,
): { send(decision: DecisionV1): void; settled(): Promise<void> } {
  const findingSinks = createFindingSinks({
    sinks,
    policy: FINDING_SINK_POLICY,
    logger,
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
  const inFlight = new Set<Promise<void>>();
  return {
    send(decision) {
      if (sinks.length === 0) return;
      const sent = findingSinks
        .send([decisionFinding(decision, WARDEN_VERSION)])
        .catch((error: unknown) =>
          logger.error(
            { error: String(error) },
            "finding not delivered nor dead-lettered",
          ),
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    },
    settled: async () => void (await Promise.all(inFlight)),
  };
}

/**
 * The revoker in this process, with the all-in-one's transmitter settings (WARDEN_*) over the
 * revoker's, its audit records copied to the query API's revocations table, and the
 * operator's push stream (WARDEN_PUSH_URL) when configured.
 */
async function startHostedRevoker(
  options: AllInOneOptions,
  host: {
    readonly app: FastifyInstance;
    readonly registry: Registry;
    readonly issuer: string;
    readonly clickhouse: ClickHouseClient;
  },
): Promise<{ revoker: LocalRevoker; audits: AuditCopy<AuditRecord> }> {
  const { transmitter } = options;
  const { database } = options.clickhouse;
  const audits = createAuditCopy<AuditRecord>({
    write: (records) => insertRevocations(host.clickhouse, database, records),
    maxBacklog: transmitter.auditBacklog,
    onError: (error, records) =>
      options.logger.error(
        { error: String(error), records },
        "audit records not copied to the revocations table (the data directory's audit trail has them)",
      ),
  });
  const revoker = await startLocalRevoker({
    dataDir: options.dataDir,
    config: {
      ...options.revoker,
      signing: { ...options.revoker.signing, alg: transmitter.signingAlg },
      delivery: {
        ...options.revoker.delivery,
        timeoutMs: transmitter.pushTimeoutMs,
      },
    },
    issuer: host.issuer,
    signingKeyFile: transmitter.signingKeyFile,
    app: host.app,
    registry: host.registry,
    logger: options.logger,
    onAudit: (record) => {
      options.onAudit?.(record);
      audits.add(record);
    },
  });
  if (transmitter.push)
    await revoker.addOperatorStream(CONFIGURED_PUSH_STREAM, transmitter.push);
  return { revoker, audits };
}

/**
 * The detector's scoring engine and metrics; as in the detector service, a valid edit of the
 * policy file applies to the next event and an invalid one is refused.
 */
function startDetector(
  detector: WhatIfDetector,
  registry: Registry,
  logger: Logger,
) {
  const detectorMetrics = createDetectorMetrics(registry);
  const engine = createScoringEngine(detector);
  const policyWatcher = detector.policyFile
    ? watchPolicyFile({
        path: detector.policyFile,
        apply: (policy) => engine.setPolicy(policy),
        logger,
        metrics: detectorMetrics,
      })
    : undefined;
  return { engine, detectorMetrics, policyWatcher };
}

export async function startAllInOne(
  options: AllInOneOptions,
): Promise<AllInOne> {
  const log = options.logger.child({ component: "all-in-one" });
  const {
    server,
    serve,
    port,
    url: selfUrl,
  } = await bind(options.host, options.port, options.tls);
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
  const { ingest } = options;
  const deduplicator = createDeduplicator({
    windowMs: ingest.dedupWindowMs,
    maxEntries: ingest.dedupMaxEntries,
  });
  const defaults = loadBaselineConfig(ALL_IN_ONE_DETECTOR_DEFAULTS);
  const detector = options.detector ?? defaults.detector;
  const { engine, detectorMetrics, policyWatcher } = startDetector(
    detector,
    registry,
    options.logger,
  );
  // The baseline service's models over the embedded store, on the event-time watermark.
  const settings = options.baselines ?? defaults.model;
  const baselines = await startLocalBaselines({
    clickhouse,
    database,
    settings,
    index: engine.baselines,
    metrics: createRefreshMetrics(registry),
    logger: options.logger,
  });
  const decisions = createDecisionLog();
  const { revoker, audits } = await startHostedRevoker(options, {
    app,
    registry,
    issuer,
    clickhouse,
  });
  const findings = startFindingForwarder(
    options.transmitter.findingSinks,
    deadLetters,
    options.logger,
  );
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
      findings.send(decision);
      options.onDecision?.(decision);
    },
    act: (decision) => revoker.handle(decision),
    logger: options.logger,
  });
  // A store falling behind refuses ingest (503 backlog) rather than queueing without bound.
  const guard = {
    tokens: ingest.httpTokens,
    limits: ingest.httpLimits,
    metrics,
    sink,
    backlog: () => audits.behind(),
  };
  await registerHttpIngest(app, guard);
  await registerMappedIngest(app, {
    ...guard,
    deadLetter,
    routes: createMappedRoutes(ingest.otlp),
  });
  await registerAllInOneReads(app, {
    tokens: ingest.httpTokens,
    decisions,
    revoker,
    deadLetters,
    clickhouse,
    database,
    baselines,
    detector,
    settings,
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
    history: (events) => insertEvents(clickhouse, database, events),
    stats: () => ({
      ...counts,
      agents: engine.agents,
      decisions: decisions.counts(),
      sets: revoker.counts(),
      baselines: baselines.counts(),
    }),
    async stop() {
      policyWatcher?.stop();
      await app.close();
      // fastify closes only a server it started listening itself.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await findings.settled();
      await baselines.stop();
      await revoker.stop();
      await audits.settled();
      await clickhouse.close();
    },
  };
}
