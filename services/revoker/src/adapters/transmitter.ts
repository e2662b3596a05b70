import { randomUUID } from "node:crypto";
import { OPERATOR_OWNER } from "../core/receivers.js";
import { describeError, type Logger } from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import { AuditStep, auditRecord, type AuditRecord } from "../core/audit.js";
import { EventType } from "../core/event-types.js";
import type { PollRequest } from "../core/poll.js";
import {
  buildActionSets,
  buildStreamSet,
  streamSetTarget,
  type SetClaims,
  type SetOptions,
} from "../core/set.js";
import {
  HEALTHY,
  autoPauseReason,
  recordDelivery,
  type FailureClock,
} from "../core/stream-health.js";
import {
  DeliveryMethod,
  streamCoversAgent,
  type DefaultSubjects,
  type StreamRecord,
  type StreamStatus,
} from "../core/stream.js";
import type { UrlPolicy } from "../core/url-guard.js";
import type { RevokerMetrics } from "../metrics.js";
import type { SigningKeys } from "../signing-key.js";
import type { RiskLevels } from "./risk-levels.js";
import type { AuditLog } from "./audit-log.js";
import type { KillSwitch } from "./kill-switch.js";
import {
  Breakers,
  startPushWorker,
  type DeliveryPolicy,
} from "./push-worker.js";
import type {
  QueueKind,
  QueuedSet,
  SetQueue,
  TakenSet,
} from "../core/ports.js";
import type { StreamStore } from "./stream-store.js";

/** Operator-configured streams (REVOKER_PUSH_URL) may point anywhere, e.g. a loopback receiver. */
const OPERATOR_URL_POLICY: UrlPolicy = {
  allowHttp: true,
  allowedCidrs: ["0.0.0.0/0", "::/0"],
};
const PUSH_ACK_WAIT_MS = 30_000;

export interface PollAnswer {
  readonly sets: Record<string, string>;
  readonly moreAvailable: boolean;
}

export interface Transmitter {
  /** Signs and durably queues every SET an action causes, then sets the kill switch. */
  handleAction(action: AgentAction): Promise<void>;
  setStatus(
    record: StreamRecord,
    status: StreamStatus,
    reason: string | undefined,
  ): Promise<StreamRecord>;
  verify(record: StreamRecord, state: string | undefined): Promise<void>;
  poll(
    record: StreamRecord,
    request: PollRequest,
    waitMs: number,
  ): Promise<PollAnswer>;
  /** Prepares a stream's queue before its configuration is stored. */
  prepare(record: StreamRecord): Promise<void>;
  stop(): Promise<void>;
}

export function createTransmitter(options: {
  readonly store: StreamStore;
  readonly queue: SetQueue;
  readonly keys: SigningKeys;
  readonly killSwitch: KillSwitch;
  readonly audit: AuditLog;
  readonly metrics: RevokerMetrics;
  readonly logger: Logger;
  readonly issuer: string;
  readonly defaultSubjects: DefaultSubjects;
  readonly setOptions: Omit<SetOptions, "nowSeconds" | "issuer">;
  readonly delivery: DeliveryPolicy & {
    readonly pollAckWaitMs: number;
    /** Pause a push stream whose pushes failed this long (0 never; core/stream-health.ts). */
    readonly autoPauseAfterMs?: number;
  };
  /** The sub-agent revocations an action causes (core/cascade.ts); none when absent. */
  readonly cascade?: (
    action: AgentAction,
  ) => Promise<readonly AgentAction[]> | readonly AgentAction[];
  /** Queues the connector jobs (RFC 7009, SCIM, webhook) of an action. */
  readonly connectors?: { enqueue(action: AgentAction): Promise<void> };
  /** The last risk level per agent: risk-level-change's `previous_level`. */
  readonly riskLevels?: Pick<RiskLevels, "exchange">;
}): Transmitter {
  const { store, queue, keys, metrics, audit } = options;
  const log = options.logger.child({ component: "transmitter" });
  const breakers = new Breakers(options.delivery, metrics);
  const workers = new Map<string, { stop(): Promise<void> }[]>();
  const outstanding = new Map<string, Map<string, TakenSet>>();
  let stopping = false;
  const failureClocks = new Map<string, FailureClock>();
  const pausing = new Set<string>();

  /**
   * Counts a stream's push outcomes; sustained failure pauses it, which keeps its SETs
   * queued until it is enabled again. Streams the receiver cannot manage (the operator's)
   * are never paused, and outcomes while not enabled do not count.
   */
  // The receivers page shows when each stream last proved it works end to end (issue 19).
  function markVerified(record: StreamRecord): void {
    const current = store.cachedOne(record.stream_id) ?? record;
    store
      .put({ ...current, last_verified_at: new Date().toISOString() })
      .catch((error: unknown) =>
        log.warn(
          { stream_id: record.stream_id, error: describeError(error) },
          "could not record the verification",
        ),
      );
  }

  function onPushOutcome(record: StreamRecord, ok: boolean): void {
    const id = record.stream_id;
    const current = store.cachedOne(id) ?? record;
    if (current.status !== "enabled" || current.owner === OPERATOR_OWNER) {
      failureClocks.delete(id);
      return;
    }
    const nowMs = Date.now();
    const clock = recordDelivery(failureClocks.get(id) ?? HEALTHY, ok, nowMs);
    failureClocks.set(id, clock);
    const reason = autoPauseReason(
      clock,
      nowMs,
      options.delivery.autoPauseAfterMs ?? 0,
    );
    if (!reason || pausing.has(id)) return;
    pausing.add(id);
    failureClocks.delete(id);
    transmitter
      .setStatus(current, "paused", reason)
      .then(() => {
        metrics.streamsPaused.labels(current.owner, "delivery_failure").inc();
        log.warn(
          { stream_id: id, receiver: current.owner, reason },
          "stream paused after sustained delivery failure",
        );
      })
      .catch((error: unknown) =>
        log.error(
          { stream_id: id, error: describeError(error) },
          "could not pause a failing stream",
        ),
      )
      .finally(() => pausing.delete(id));
  }

  async function reconcile(
    streamId: string,
    record: StreamRecord | undefined,
  ): Promise<void> {
    const running = workers.get(streamId);
    const wantsWorkers = record?.delivery.method === DeliveryMethod.push;
    if (running && !wantsWorkers) {
      workers.delete(streamId);
      await Promise.all(running.map((worker) => worker.stop()));
    }
    if (!record) return;
    await prepare(record);
    if (wantsWorkers && !workers.has(streamId) && !stopping) {
      const policy =
        record.owner === OPERATOR_OWNER
          ? { ...options.delivery, urlPolicy: OPERATOR_URL_POLICY }
          : options.delivery;
      workers.set(
        streamId,
        (["control", "events"] as const).map((kind) =>
          startPushWorker({
            streamId,
            kind,
            stream: () => store.cachedOne(streamId),
            queue,
            breakers,
            policy,
            metrics,
            audit,
            logger: options.logger,
            onOutcome: onPushOutcome,
            onVerified: markVerified,
          }),
        ),
      );
    }
  }

  async function prepare(record: StreamRecord): Promise<void> {
    await queue.ensureConsumers(
      record.stream_id,
      record.delivery.method === DeliveryMethod.poll
        ? options.delivery.pollAckWaitMs
        : PUSH_ACK_WAIT_MS,
    );
  }

  store.onChange((streamId, record) => {
    reconcile(streamId, record).catch((error: unknown) =>
      log.error(
        { stream_id: streamId, error: describeError(error) },
        "could not start delivery",
      ),
    );
  });

  async function queueSet(
    streamId: string,
    kind: QueueKind,
    claims: SetClaims,
    action?: AgentAction,
  ): Promise<void> {
    const jwt = await keys.sign({ ...claims });
    const eventType = Object.keys(claims.events)[0] ?? "";
    await queue.enqueue(streamId, kind, {
      jti: claims.jti,
      jwt,
      event_type: eventType,
      queued_at_ms: Date.now(),
      ...(action ? { action } : {}),
    });
    metrics.setsIssued.labels(eventType.replace(/^.*\//, "")).inc();
  }

  async function controlEvent(
    record: StreamRecord,
    type: typeof EventType.verification | typeof EventType.streamUpdated,
    payload: Record<string, unknown>,
  ): Promise<void> {
    const claims = buildStreamSet(
      type,
      payload,
      { streamId: record.stream_id, audience: record.aud },
      {
        issuer: options.issuer,
        nowSeconds: Date.now() / 1000,
        causeId: randomUUID(),
      },
    );
    await queueSet(record.stream_id, "control", claims);
  }

  /** Signs and queues one action's SETs for every stream covering its agent; audit records into `records`. */
  function queueActionSets(
    action: AgentAction,
    nowIso: string,
    records: AuditRecord[],
  ): Promise<void>[] {
    const agent = { tenant: action.tenant, agentId: action.agentId };
    const queued: Promise<void>[] = [];
    for (const record of store.cached()) {
      if (
        !streamCoversAgent(
          record,
          agent,
          options.defaultSubjects,
          options.setOptions.subjectIssuer,
        )
      )
        continue;
      const sets = buildActionSets(action, streamSetTarget(record), {
        ...options.setOptions,
        issuer: options.issuer,
        nowSeconds: Date.now() / 1000,
      });
      const detail = (claims: SetClaims) => ({
        streamId: record.stream_id,
        receiver: record.owner,
        jti: claims.jti,
        eventType: Object.keys(claims.events)[0] ?? "",
      });
      if (record.status === "disabled") {
        metrics.dropped.labels(record.owner).inc(sets.length);
        records.push(
          ...sets.map((claims) =>
            auditRecord(action, AuditStep.dropped, nowIso, detail(claims)),
          ),
        );
        continue;
      }
      // Signing runs on libuv's thread pool: sign and queue a cause's SETs together.
      queued.push(
        ...sets.map((claims) =>
          queueSet(record.stream_id, "events", claims, action),
        ),
      );
      records.push(
        ...sets.map((claims) =>
          auditRecord(action, AuditStep.queued, nowIso, detail(claims)),
        ),
      );
    }
    return queued;
  }

  const transmitter: Transmitter = {
    async handleAction(cause) {
      const nowIso = new Date().toISOString();
      const records: AuditRecord[] = [];
      const queued: Promise<void>[] = [];
      const cascadedActions = (await options.cascade?.(cause)) ?? [];
      metrics.cascaded.inc(cascadedActions.length);
      const actions: AgentAction[] = [];
      for (const action of [cause, ...cascadedActions])
        actions.push({
          ...action,
          previousRiskLevel: await options.riskLevels?.exchange(action),
        });
      // The kill switch first (issue 16): the gateways stop the agent even if queueing a
      // SET or a connector call fails below (the decision is then redelivered and the
      // kill switch, idempotent per agent, re-applied).
      for (const action of actions) {
        if (action.kind === "alert") continue;
        const message = await options.killSwitch.apply(action, nowIso);
        // A hold on an agent already revoked, or a release after a revoke, moves nothing.
        if (!message) continue;
        metrics.killSwitch.labels(message.action).inc();
        records.push(auditRecord(action, AuditStep.killSwitch, nowIso));
      }
      for (const action of actions) {
        queued.push(...queueActionSets(action, nowIso, records));
        if (options.connectors && action.kind !== "alert")
          queued.push(options.connectors.enqueue(action));
      }
      await Promise.all(queued);
      await audit.write(records);
    },

    async setStatus(record, status, reason) {
      if (status !== record.status) {
        // SSF 1.0 §8.1.5: tell the receiver before holding or dropping its events.
        await controlEvent(record, EventType.streamUpdated, {
          status,
          ...(reason ? { reason } : {}),
        });
        if (status === "disabled")
          metrics.dropped
            .labels(record.owner)
            .inc(await queue.purgeEvents(record.stream_id));
      }
      const { reason: _previous, ...rest } = record;
      const nowIso = new Date().toISOString();
      const updated: StreamRecord = {
        ...rest,
        status,
        ...(reason ? { reason } : {}),
        updated_at: nowIso,
        ...(status === record.status ? {} : { status_changed_at: nowIso }),
      };
      await store.put(updated);
      return updated;
    },

    async verify(record, state) {
      await controlEvent(
        record,
        EventType.verification,
        state === undefined ? {} : { state },
      );
    },

    async poll(record, request, waitMs) {
      const held =
        outstanding.get(record.stream_id) ?? new Map<string, TakenSet>();
      outstanding.set(record.stream_id, held);
      const nowIso = new Date().toISOString();
      const records: AuditRecord[] = [];
      const detail = (set: QueuedSet, outcome: string) => ({
        streamId: record.stream_id,
        receiver: record.owner,
        jti: set.jti,
        eventType: set.event_type,
        outcome,
      });
      for (const jti of request.ack) {
        const entry = held.get(jti);
        if (!entry) continue;
        held.delete(jti);
        await entry.ack();
        metrics.deliveries.labels(record.owner, "delivered").inc();
        metrics.latency
          .labels("poll")
          .observe((Date.now() - entry.set.queued_at_ms) / 1000);
        if (entry.set.event_type === EventType.verification)
          markVerified(record);
        if (entry.set.action)
          records.push(
            auditRecord(
              entry.set.action,
              AuditStep.delivered,
              nowIso,
              detail(entry.set, "ack"),
            ),
          );
      }
      for (const [jti, error] of Object.entries(request.setErrs)) {
        const entry = held.get(jti);
        if (!entry) continue;
        held.delete(jti);
        await queue.deadLetter(record.stream_id, entry.set, error.err);
        await entry.ack();
        metrics.deliveries.labels(record.owner, "refused").inc();
        if (entry.set.action)
          records.push(
            auditRecord(
              entry.set.action,
              AuditStep.refused,
              nowIso,
              detail(entry.set, error.err),
            ),
          );
      }
      await audit.write(records);
      const kinds: QueueKind[] =
        record.status === "enabled" ? ["control", "events"] : ["control"];
      const sets: Record<string, string> = {};
      let count = 0;
      for (const [index, kind] of kinds.entries()) {
        const last = index === kinds.length - 1;
        const wait =
          request.returnImmediately || count > 0 || !last ? 0 : waitMs;
        const max = request.maxEvents - count;
        if (max <= 0) continue;
        for (const taken of await queue.take(
          record.stream_id,
          kind,
          max,
          wait,
        )) {
          held.set(taken.set.jti, taken);
          sets[taken.set.jti] = taken.set.jwt;
          count += 1;
        }
      }
      let moreAvailable = false;
      for (const kind of kinds)
        moreAvailable ||= (await queue.pending(record.stream_id, kind)) > 0;
      return { sets, moreAvailable };
    },

    prepare,

    async stop() {
      stopping = true;
      const all = [...workers.values()].flat();
      workers.clear();
      await Promise.all(all.map((worker) => worker.stop()));
    },
  };
  return transmitter;
}
