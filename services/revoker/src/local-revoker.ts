import type { FastifyInstance } from "fastify";
import {
  describeError,
  sleep,
  type DecisionV1,
  type KillSwitchMessage,
  type Logger,
  type Registry,
} from "@warden/shared";
import { startApprovals } from "./adapters/approvals.js";
import type { AuditLog } from "./adapters/audit-log.js";
import { openLocalSetQueue } from "./adapters/local-set-queue.js";
import {
  localStorePaths,
  openLocalAuditLog,
  openLocalKeyValue,
  openLocalKillSwitch,
} from "./adapters/local-store.js";
import { registerSsfApi } from "./adapters/ssf-api.js";
import { openRiskLevels, startRiskRecovery } from "./adapters/risk-levels.js";
import { openStreamStore } from "./adapters/stream-store.js";
import { createTransmitter } from "./adapters/transmitter.js";
import { actionFromDecision, type AgentAction } from "./core/action.js";
import { compileApprovalPatterns } from "./core/approval.js";
import { AuditStep, type AuditRecord } from "./core/audit.js";
import { ALL_TENANTS } from "./core/stream.js";
import { ssfApiSettings, transmitterSettings } from "./settings.js";
import type { RevokerConfig } from "./config.js";
import { createRevokerMetrics } from "./metrics.js";
import { openSigningKeys } from "./signing-key.js";
import { staticStream } from "./static-stream.js";

/** How the SETs of the local revoker ended so far, from its audit trail. */
export interface LocalRevokerCounts {
  readonly issued: number;
  readonly delivered: number;
  readonly refused: number;
  readonly failed: number;
}

export interface LocalRevoker {
  /** Approval, then the transmitter: the same path as the revoker's decisions consumer. */
  handle(decision: DecisionV1): Promise<void>;
  /**
   * A push stream owned by the operator (WARDEN_PUSH_URL, the demo's receiver); it covers
   * every tenant and names agents by opaque id unless told otherwise.
   */
  addOperatorStream(streamId: string, push: OperatorPush): Promise<void>;
  /** Agents currently revoked, as the gateways' kill-switch messages. */
  revoked(): readonly KillSwitchMessage[];
  counts(): LocalRevokerCounts;
  /** Resolves once no stream has a SET waiting or in flight. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const SETTLED_CHECK_MS = 100;

type StaticPush = NonNullable<RevokerConfig["staticPush"]>;
export type OperatorPush = Omit<StaticPush, "tenant" | "subjectFormat"> &
  Partial<Pick<StaticPush, "tenant" | "subjectFormat">>;

/**
 * The revoker in one process (the all-in-one): the same transmitter, push workers, approvals,
 * SSF API and signing keys as the service, over the local ports of adapters/local-store.ts
 * instead of JetStream, NATS KV and Kafka. The API's routes go on the host's own server.
 */
export async function startLocalRevoker(options: {
  readonly dataDir: string;
  /** The revoker's settings (REVOKER_*): receivers, delivery, approvals, SET options. */
  readonly config: RevokerConfig;
  readonly issuer: string;
  /** Private signing keys; defaults to the data directory's. */
  readonly signingKeyFile: string | undefined;
  readonly app: FastifyInstance;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Told of every audit record, after it is written (the demo's latencies). */
  readonly onAudit?: (record: AuditRecord) => void;
}): Promise<LocalRevoker> {
  const { config, logger } = options;
  const paths = localStorePaths(options.dataDir);
  const metrics = createRevokerMetrics(options.registry);
  const keys = await openSigningKeys({
    ...config.signing,
    file: options.signingKeyFile ?? paths.signingKeys,
  });
  const counts = { issued: 0, delivered: 0, refused: 0, failed: 0 };
  const journal = openLocalAuditLog(paths.audit, (count) =>
    metrics.auditRecords.inc(count),
  );
  const audit: AuditLog = {
    async write(records) {
      await journal.write(records);
      for (const record of records) {
        if (record.step === AuditStep.queued) counts.issued += 1;
        else if (record.step === AuditStep.delivered) counts.delivered += 1;
        else if (record.step === AuditStep.refused) counts.refused += 1;
        else if (record.step === AuditStep.deadLettered) counts.failed += 1;
        options.onAudit?.(record);
      }
    },
    stop: () => journal.stop(),
  };
  const streamsKv = openLocalKeyValue(paths.streams);
  const approvalsKv = openLocalKeyValue(paths.approvals);
  const revokedKv = openLocalKeyValue(paths.revokedAgents);
  const riskKv = openLocalKeyValue(paths.riskLevels);
  const riskLevels = await openRiskLevels(riskKv);
  const store = await openStreamStore(streamsKv);
  const queue = openLocalSetQueue({
    file: paths.sets,
    deadLetterFile: paths.deadSets,
  });
  const killSwitch = openLocalKillSwitch(revokedKv, keys);
  const revoked = new Map<string, KillSwitchMessage>();
  const watch = await revokedKv.watch((key, value) => {
    if (value === undefined) revoked.delete(key);
    else revoked.set(key, JSON.parse(value) as KillSwitchMessage);
  });
  const transmitter = createTransmitter({
    riskLevels,
    store,
    queue,
    keys,
    killSwitch,
    audit,
    metrics,
    logger,
    ...transmitterSettings(config, options.issuer),
  });
  const approvals = await startApprovals({
    kv: approvalsKv,
    matches: compileApprovalPatterns(config.approval.patterns),
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
  const recovery = startRiskRecovery({
    afterMs: config.sets.riskRecoveryAfterMs,
    kv: riskKv,
    levels: riskLevels,
    handle: (action) => transmitter.handleAction(action),
    metrics,
    logger,
  });
  registerSsfApi(options.app, {
    ...ssfApiSettings(config, options.issuer, keys, metrics),
    store,
    keys,
    transmitter,
    approvals,
    queueDepth: (streamId, kind) => queue.depth(streamId, kind),
    logger,
  });
  const queued = async (): Promise<number> => {
    let total = 0;
    for (const record of store.cached())
      for (const kind of ["events", "control"] as const)
        total += await queue.depth(record.stream_id, kind);
    return total;
  };
  metrics.setQueueDepthSource(async () => {
    const depths = [];
    for (const record of store.cached())
      for (const kind of ["events", "control"] as const)
        depths.push({
          streamId: record.stream_id,
          kind,
          depth: await queue.depth(record.stream_id, kind),
        });
    return depths;
  });

  return {
    async handle(decision) {
      const action: AgentAction | undefined = actionFromDecision(
        decision,
        Date.now() / 1000,
      );
      if (!action) {
        metrics.decisions.labels("skipped").inc();
        return;
      }
      const now = await approvals.gate(action);
      if (now) await transmitter.handleAction(now);
      metrics.decisions.labels("queued").inc();
    },
    async addOperatorStream(streamId, push) {
      const existing = await store.get(streamId);
      await store.put(
        staticStream(
          { tenant: ALL_TENANTS, subjectFormat: "opaque", ...push },
          options.issuer,
          existing,
          new Date().toISOString(),
          streamId,
        ),
      );
    },
    revoked: () => [...revoked.values()],
    counts: () => ({ ...counts }),
    async settled() {
      while ((await queued()) > 0) await sleep(SETTLED_CHECK_MS);
    },
    async stop() {
      await approvals.stop();
      await recovery.stop();
      await transmitter.stop();
      await riskLevels.stop();
      await watch.stop();
      await store.stop();
      queue.close();
      for (const kv of [streamsKv, approvalsKv, revokedKv, riskKv]) kv.close();
      await audit
        .stop()
        .catch((error: unknown) =>
          logger.warn({ error: describeError(error) }, "audit close failed"),
        );
    },
  };
}
