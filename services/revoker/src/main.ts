// The revoker: config → logger → metrics → signing keys → NATS → Kafka audit, findings (+ topics) →
// streams KV, SET queue → delegation feed, connectors, transmitter (push workers) →
// approvals → decisions consumer → SSF API (+ inactivity watch) → ops server; shutdown from the
// intake inwards.
import {
  connectAdmin,
  connectNats,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  ensureTopics,
  kafkaUnreachable,
  listenOn,
  retry,
  runService,
  startOpsServer,
} from "@warden/shared";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { registerConsole } from "@warden/console";
import { openAuditLog } from "./adapters/audit-log.js";
import { openFindingsLog } from "./adapters/findings-log.js";
import { openDeadDecisions } from "./adapters/dead-decisions.js";
import { startApprovals } from "./adapters/approvals.js";
import { startConnectors } from "./adapters/connector-worker.js";
import { startDelegationFeed } from "./adapters/delegation-feed.js";
import type { AgentAction } from "./core/action.js";
import { compileApprovalPatterns } from "./core/approval.js";
import { planCascade } from "./core/cascade.js";
import { createDelegationGraph } from "./core/delegation-graph.js";
import { startDecisionsConsumer } from "./adapters/decisions-consumer.js";
import { openKillSwitch } from "./adapters/kill-switch.js";
import { openNatsKeyValue } from "./adapters/nats-kv.js";
import { openRiskLevels, startRiskRecovery } from "./adapters/risk-levels.js";
import { openSetQueue } from "./adapters/set-queue.js";
import { buildSsfApi } from "./adapters/ssf-api.js";
import { openStreamStore } from "./adapters/stream-store.js";
import { createTransmitter } from "./adapters/transmitter.js";
import { startInactivityWatch } from "./adapters/inactivity-watch.js";
import { STATIC_STREAM_ID, loadRevokerConfig } from "./config.js";
import { staticStream } from "./static-stream.js";
import { ssfApiSettings, transmitterSettings } from "./settings.js";
import { readServerTls } from "./tls.js";
import { createRevokerMetrics } from "./metrics.js";
import { openSigningKeys } from "./signing-key.js";

const KEY_ROTATION_CHECK_MS = 3_600_000;
const MAX_CREDENTIALS_PER_AGENT = 8;
const { version: WARDEN_VERSION } = createRequire(import.meta.url)(
  "../package.json",
) as { version: string };

async function main(): Promise<void> {
  const config = loadRevokerConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "revoker",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createRevokerMetrics();
  const names = createNames(config.common.namespace);
  const revokerNames = names.revoker;
  const keys = await openSigningKeys(config.signing);
  const connection = await connectNats({
    config: config.nats,
    logger,
    name: "warden-revoker",
  });
  const kafka = createKafka({ config: config.kafka, logger });
  // A broker that just created the topic may not lead its partitions yet: retried (retriable errors only).
  const auditLog = await retry(async () => {
    const admin = await connectAdmin(kafka, config.kafka);
    await ensureTopics(admin, names).finally(() => admin.disconnect());
    return openAuditLog({
      kafka,
      topic: names.topics.revocations,
      onWritten: (count) => metrics.auditRecords.inc(count),
    });
  }).catch((cause: unknown) => {
    throw kafkaUnreachable(config.kafka, cause);
  });
  // Every decision and each step of its revocation also as an OCSF finding (the all-in-one's shape).
  const findings = await retry(() =>
    openFindingsLog({
      kafka,
      topic: names.topics.findings,
      productVersion: WARDEN_VERSION,
      onWritten: (activity, count) =>
        metrics.findings.labels(activity).inc(count),
    }),
  ).catch((cause: unknown) => {
    throw kafkaUnreachable(config.kafka, cause);
  });
  const audit = findings.withUpdates(auditLog);
  const store = await openStreamStore(
    await openNatsKeyValue(connection, revokerNames.streamsBucket),
  );
  const queue = await openSetQueue({
    connection,
    names: revokerNames,
    maxAgeMs: config.delivery.queueMaxAgeMs,
    maxBytes: config.delivery.queueMaxBytes,
    maxPerStream: config.delivery.queueMaxPerStream,
  });
  const deadDecisions = await openDeadDecisions({ connection, names });
  metrics.setDeadDecisionSource(() => deadDecisions.depth());
  const graph = createDelegationGraph({
    windowMs: config.cascade.windowMs,
    maxEdges: config.cascade.maxEdges,
    maxEdgesPerTenant: config.cascade.maxEdgesPerTenant,
    maxCredentialsPerAgent: MAX_CREDENTIALS_PER_AGENT,
  });
  metrics.setDelegationEdgeSource(() => graph.size);
  const delegationFeed = config.cascade.enabled
    ? await startDelegationFeed({
        kafka,
        topic: names.topics.events,
        groupId: `${revokerNames.delegationGroupPrefix}-${randomUUID()}`,
        graph,
        windowMs: config.cascade.windowMs,
        logger,
      })
    : undefined;
  const connectors = await startConnectors({
    connection,
    names: revokerNames,
    connectors: config.connectors,
    policy: {
      timeoutMs: config.delivery.timeoutMs,
      maxResponseBytes: config.delivery.maxResponseBytes,
      retryInitialMs: config.delivery.retryInitialMs,
      retryMaxMs: config.delivery.retryMaxMs,
      deadLetterAfterMs: config.delivery.deadLetterAfterMs,
    },
    audit,
    metrics,
    logger,
  });
  const approvalPatterns = compileApprovalPatterns(config.approval.patterns);
  // Its handler runs the transmitter created next; a timeout check that fires before that
  // fails, is logged and retried a second later (approvals.ts), nothing is lost.
  const approvals = await startApprovals({
    kv: await openNatsKeyValue(connection, revokerNames.approvalsBucket),
    matches: approvalPatterns,
    timeoutMs: config.approval.timeoutMs,
    defaultVerdict: config.approval.defaultVerdict,
    hold: {
      actions: config.approval.holdActions,
      timeoutMs: config.approval.holdTimeoutMs,
    },
    handle: (action) => transmitter.handleAction(action),
    audit,
    metrics,
    logger,
  });
  const riskKv = await openNatsKeyValue(
    connection,
    revokerNames.riskLevelsBucket,
  );
  const riskLevels = await openRiskLevels(riskKv);
  const transmitter = createTransmitter({
    riskLevels,
    connectors,
    store,
    queue,
    keys,
    killSwitch: await openKillSwitch(connection, names, keys, logger),
    audit,
    metrics,
    logger,
    ...transmitterSettings(config, config.issuer),
    ...(config.cascade.enabled
      ? {
          cascade: async (action: AgentAction) => {
            const plan = planCascade(
              action,
              graph.descendants(action.tenant, action.agentId, Date.now()),
              {
                maxAgents: config.cascade.maxAgents,
                needsApproval: approvalPatterns,
              },
            );
            metrics.cascadeCapped.inc(plan.capped);
            if (plan.capped > 0)
              logger.warn(
                { decision_id: action.id, capped: plan.capped },
                "cascade capped: sub-agents beyond REVOKER_CASCADE_MAX_AGENTS left alone",
              );
            for (const held of plan.held) await approvals.hold(held);
            return plan.actions;
          },
        }
      : {}),
  });
  if (config.staticPush) {
    const existing = await store.get(STATIC_STREAM_ID);
    await store.put(
      staticStream(
        config.staticPush,
        config.issuer,
        existing,
        new Date().toISOString(),
      ),
    );
  }
  const consumer = await startDecisionsConsumer({
    connection,
    names,
    logger,
    metrics,
    record: (decision) => findings.decision(decision),
    deadLetters: deadDecisions,
    maxDeliveries: config.delivery.decisionMaxDeliveries,
    retryInitialMs: config.delivery.retryInitialMs,
    retryMaxMs: config.delivery.retryMaxMs,
    handle: async (action) => {
      const now = await approvals.gate(action);
      if (now) await transmitter.handleAction(now);
    },
  });
  const api = buildSsfApi(
    {
      ...ssfApiSettings(config, config.issuer, keys, metrics),
      store,
      keys,
      transmitter,
      approvals,
      queueDepth: (streamId, kind) => queue.depth(streamId, kind),
      deadDecisions,
      onRedriven: (count) => metrics.decisions.labels("redriven").inc(count),
      logger,
    },
    config.tls &&
      readServerTls(config.tls, {
        cert: "REVOKER_TLS_CERT_FILE",
        key: "REVOKER_TLS_KEY_FILE",
      }),
  );
  const recovery = startRiskRecovery({
    afterMs: config.sets.riskRecoveryAfterMs,
    kv: riskKv,
    levels: riskLevels,
    handle: (action) => transmitter.handleAction(action),
    metrics,
    logger,
  });
  const inactivity = startInactivityWatch({
    timeoutMs: config.delivery.inactivityTimeoutMs,
    store,
    transmitter,
    metrics,
    logger,
  });
  if (config.console.enabled)
    await registerConsole(api, { queryApiUrl: config.console.queryApiUrl });
  const httpPort = await listenOn(
    api,
    config.httpHost,
    config.httpPort,
    "REVOKER_HTTP_PORT",
  );
  metrics.setQueueDepthSource(async () => {
    const depths = [];
    for (const record of store.cached())
      for (const kind of ["events", "control"] as const)
        depths.push({
          streamId: record.stream_id,
          kind,
          depth: await queue.depth(record.stream_id, kind).catch(() => 0),
        });
    return depths;
  });
  const rotation = setInterval(() => {
    keys.rotateIfDue().then(
      (rotated) => {
        if (!rotated) return;
        metrics.keyRotations.labels("scheduled").inc();
        logger.info(
          {
            audit: "signing_key_rotated",
            by: "schedule",
            kid: keys.activeKid(),
          },
          "signing key rotated",
        );
      },
      (error: unknown) =>
        logger.error({ error: String(error) }, "signing key rotation failed"),
    );
  }, KEY_ROTATION_CHECK_MS);
  rotation.unref();
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [{ name: "nats", check: () => !connection.isClosed() }],
    logger,
  });
  // Intake first, clients last (steps run in registration order).
  shutdown.add("SSF API", () => api.close());
  shutdown.add("decisions consumer", () => consumer.stop());
  shutdown.add("approvals", () => approvals.stop());
  shutdown.add("inactivity watch", () => inactivity.stop());
  shutdown.add("risk recovery", () => recovery.stop());
  shutdown.add("delegation feed", () => delegationFeed?.stop());
  shutdown.add("push workers", () => transmitter.stop());
  shutdown.add("connectors", () => connectors.stop());
  shutdown.add("streams watch", () => store.stop());
  shutdown.add("risk levels watch", () => riskLevels.stop());
  shutdown.add("audit producer", () => audit.stop());
  shutdown.add("findings producer", () => findings.stop());
  shutdown.add("nats", () => connection.drain());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      stream: names.decisionsStream,
      consumer: names.decisionsConsumer,
      kid: keys.activeKid(),
      issuer: config.issuer,
      receivers: config.receivers.map((receiver) => receiver.id),
      staticPush: config.staticPush?.url,
      httpPort,
      opsPort: ops.port,
    },
    "revoker started",
  );
}

runService("revoker", main);
