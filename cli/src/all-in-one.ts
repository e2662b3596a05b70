import { createRequire } from "node:module";
import {
  acceptedKeys,
  OPEN_BINDING,
  classifyBatch,
  createDeduplicator,
  createIngestMetrics,
  createMappedRoutes,
  registerHttpIngest,
  registerMappedIngest,
  type DeadLetterSink,
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
  DEFAULT_FINDING_SINK_ATTEMPTS,
  createFindingSinks,
  decisionFinding,
} from "@warden/revoker";
import {
  countDeadLettersByReason,
  ensureDeadLettersTable,
  insertDeadLetters,
} from "./all-in-one-dead-letters.js";
import type { TransmitterConfig } from "./all-in-one-config.js";
import { openAllInOneKeys } from "./all-in-one-keys.js";
import {
  createTransmitter,
  type QueuedSet,
  type Transmitter,
  type TransmitterCounts,
} from "./all-in-one-transmitter.js";

/**
 * The all-in-one mode: ingest, store, detect and revoke in one process, with embedded chDB and
 * an in-process bus. Events arrive on POST /v1/events (the same HTTP ingest as the cluster);
 * decisions are logged, kept for GET /v1/decisions, and turned into signed SETs pushed to the
 * configured SSF receivers (public keys at GET /jwks.json).
 */
const ALL_IN_ONE_MAX_AGENTS = 100_000;
const ALL_IN_ONE_IDLE_EVICT_MS = 6 * 60 * 60_000;

export interface AllInOne {
  readonly port: number;
  /** `http://<host>:<port>`, also the default SET issuer. */
  readonly url: string;
  readonly issuer: string;
  readonly app: FastifyInstance;
  readonly decisions: readonly DecisionV1[];
  readonly transmitter: Transmitter;
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
  readonly sets: TransmitterCounts;
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

export async function startAllInOne(options: {
  readonly host: string;
  readonly port: number;
  readonly clickhouse: ClickHouseConfig;
  /** The ingest service's own settings (INGEST_*): limits, de-dup window, gateway tokens. */
  readonly ingest: IngestConfig;
  readonly transmitter: TransmitterConfig;
  readonly logger: Logger;
  readonly onQueued?: (set: QueuedSet) => void;
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
  const counts = { accepted: 0, rejected: 0 };
  const decided = { alert: 0, step_up: 0, revoke: 0 };
  const keys = await openAllInOneKeys({
    file: options.transmitter.signingKeyFile,
    alg: options.transmitter.signingAlg,
  });
  let selfUrl = "";
  const issuer = (): string => options.transmitter.issuer ?? selfUrl;
  const transmitter = createTransmitter({
    issuer,
    keys,
    pushTimeoutMs: options.transmitter.pushTimeoutMs,
    registry,
    logger: options.logger,
    ...(options.onQueued ? { onQueued: options.onQueued } : {}),
  });
  const configuredPush = options.transmitter.push;
  if (configuredPush)
    transmitter.addStream({ id: "configured-push", ...configuredPush });

  // Every decision as an OCSF Detection Finding to the configured SIEM sinks, off the ingest
  // path; a sink that refuses or stays down gets its findings in the dead-letter table.
  const findingSinks = createFindingSinks({
    sinks: options.transmitter.findingSinks,
    policy: FINDING_SINK_POLICY,
    logger: options.logger,
    deadLetter: (target, findings, reason) =>
      insertDeadLetters(clickhouse, database, [
        {
          received_at: Date.now(),
          reason: "finding_undelivered",
          detail: `${target.type} ${target.id}: ${reason}`,
          gateway: "",
          raw_base64: Buffer.from(JSON.stringify(findings)).toString("base64"),
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

  const sink: IngestSink = async (messages, binding) => {
    const nowMs = Date.now();
    const outcomes = classifyBatch(
      messages,
      { ...ingest, nowMs },
      deduplicator,
      binding,
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
                gateway:
                  binding.kind === "gateway" ? binding.credential.gateway : "",
                raw_base64: (messages[index] ?? Buffer.alloc(0)).toString(
                  "base64",
                ),
              },
            ]
          : [],
      ),
    );
    deduplicator.remember(acceptedKeys(outcomes));
    counts.accepted += accepted.length;
    counts.rejected += outcomes.filter((o) => o.kind === "rejected").length;
    metrics.countOutcomes(
      outcomes.map((outcome) => ({ outcome, source: "http" as const })),
      nowMs,
    );
    for (const event of accepted) {
      const { decision } = engine.observe(event, new Date().toISOString());
      if (!decision) continue;
      decisions.push(decision);
      decided[decision.action] += 1;
      transmitter.send(decision);
      sendFinding(decision);
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
  // Foreign records no mapper could map (CloudTrail, OTLP) join the same dead-letter table.
  const deadLetter: DeadLetterSink = (letters, binding) =>
    insertDeadLetters(
      clickhouse,
      database,
      letters.map((letter) => ({
        received_at: Date.now(),
        reason: letter.reason,
        detail: `${letter.format}: ${letter.detail}`,
        gateway: binding.kind === "gateway" ? binding.credential.gateway : "",
        raw_base64: letter.raw.toString("base64"),
      })),
    );
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
  app.get("/v1/decisions", (_request, reply) => reply.send(decisions));
  app.get("/jwks.json", (_request, reply) => reply.send(transmitter.jwks()));
  app.get("/.well-known/ssf-configuration", (_request, reply) =>
    reply.send({
      spec_version: "1_0",
      issuer: issuer(),
      jwks_uri: `${issuer().replace(/\/$/, "")}/jwks.json`,
      delivery_methods_supported: ["urn:ietf:rfc:8935"],
    }),
  );
  app.get("/v1/kill-switch", (_request, reply) =>
    reply.send(transmitter.revoked()),
  );
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
  selfUrl = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  log.info(
    { host: options.host, port, issuer: issuer() },
    "warden all-in-one listening: POST NDJSON to /v1/events",
  );
  return {
    port,
    url: selfUrl,
    issuer: issuer(),
    app,
    decisions,
    transmitter,
    // In-process callers (the demo's own traffic) are this process, not a gateway.
    ingest: (messages) => sink(messages, OPEN_BINDING),
    stats: () => ({
      ...counts,
      agents: engine.agents,
      decisions: { ...decided },
      sets: transmitter.counts(),
    }),
    async stop() {
      await app.close();
      await Promise.all(findingsInFlight);
      await transmitter.stop();
      await clickhouse.close();
    },
  };
}
