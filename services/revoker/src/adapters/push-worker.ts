import { LRUCache } from "lru-cache";
import {
  backoffDelayMs,
  describeError,
  sleep,
  type Logger,
} from "@warden/shared";
import { AuditStep, auditRecord } from "../core/audit.js";
import { EventType } from "../core/event-types.js";
import {
  CLOSED,
  CircuitState,
  breakerAt,
  breakerFailed,
  breakerSucceeded,
  type Breaker,
  type BreakerPolicy,
} from "../core/breaker.js";
import type { StreamRecord } from "../core/stream.js";
import { deliveryAgeMs } from "../core/stream-health.js";
import type { RevokerMetrics } from "../metrics.js";
import type { AuditLog } from "./audit-log.js";
import {
  PushError,
  createPushAgents,
  pushSet,
  type PushPolicy,
} from "./push.js";
import type { QueueKind, SetQueue, TakenSet } from "../core/ports.js";

export interface DeliveryPolicy extends PushPolicy, BreakerPolicy {
  readonly concurrency: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly deadLetterAfterMs: number;
}

/** Circuit breakers shared by every stream of one receiver. */
export class Breakers {
  private readonly byReceiver = new Map<string, Breaker>();
  constructor(
    private readonly policy: BreakerPolicy,
    private readonly metrics: RevokerMetrics,
  ) {}
  state(receiver: string, nowMs: number): Breaker {
    return breakerAt(
      this.byReceiver.get(receiver) ?? CLOSED,
      nowMs,
      this.policy,
    );
  }
  record(receiver: string, ok: boolean, nowMs: number): void {
    const next = ok
      ? breakerSucceeded()
      : breakerFailed(this.state(receiver, nowMs), nowMs, this.policy);
    this.byReceiver.set(receiver, next);
    this.metrics.circuit.labels(receiver).set(next.state);
  }
}

const IDLE_WAIT_MS = 250;
/** SETs a worker remembers as accepted; far more than are ever in flight for one stream. */
const ACCEPTED_MEMORY_ENTRIES = 100_000;
const FETCH_EXPIRES_MS = 1_000;

/**
 * Pushes one SSF stream's queue (its agent events or its control events) to the receiver:
 * take a batch, push in parallel, ack on 202; retriable failures are nak'ed with jittered
 * back-off and count against the receiver's circuit breaker; refusals and SETs older than
 * the dead-letter age go to the dead-letter subject. Agent events wait while the stream is
 * not enabled; control events always go.
 */
export function startPushWorker(options: {
  readonly streamId: string;
  readonly kind: QueueKind;
  readonly stream: () => StreamRecord | undefined;
  readonly queue: SetQueue;
  readonly breakers: Breakers;
  readonly policy: DeliveryPolicy;
  readonly metrics: RevokerMetrics;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** Told of every push that was accepted (true) or failed retriably (false). */
  readonly onOutcome?: (record: StreamRecord, ok: boolean) => void;
  /** Told when the receiver accepted a verification event. */
  readonly onVerified?: (record: StreamRecord) => void;
}): { stop(): Promise<void> } {
  const { streamId, kind, queue, breakers, policy, metrics, audit } = options;
  const log = options.logger.child({
    component: "push",
    stream_id: streamId,
    kind,
  });
  const abort = new AbortController();
  const agents = createPushAgents(policy.concurrency);
  // JetStream may hand back a SET the receiver already accepted: its ack was lost in a NATS
  // restart, or the audit write after the 202 failed and the SET was nak'ed. Remembering
  // what was accepted (and whether its audit record is written) makes the push exactly once
  // per worker lifetime; the value says whether the audit record still needs writing.
  const accepted = new LRUCache<string, { audited: boolean }>({
    max: ACCEPTED_MEMORY_ENTRIES,
    ttl: policy.deadLetterAfterMs,
  });

  async function settle(
    message: TakenSet,
    record: StreamRecord,
  ): Promise<void> {
    const { set } = message;
    const attempt = message.redeliveries + 1;
    const receiver = record.owner;
    const detail = {
      streamId,
      receiver,
      jti: set.jti,
      eventType: set.event_type,
      attempt,
    };
    const now = (): string => new Date().toISOString();
    if (
      deliveryAgeMs(set.queued_at_ms, record.status_changed_at, Date.now()) >
      policy.deadLetterAfterMs
    ) {
      await queue.deadLetter(streamId, set, "expired");
      if (set.action)
        await audit.write([
          auditRecord(set.action, AuditStep.deadLettered, now(), {
            ...detail,
            outcome: "expired",
          }),
        ]);
      metrics.deliveries.labels(receiver, "dead_lettered").inc();
      await message.ack();
      return;
    }
    const known = accepted.get(set.jti);
    if (known) {
      metrics.deliveries.labels(receiver, "already_delivered").inc();
      if (!known.audited && set.action) {
        await audit.write([
          auditRecord(set.action, AuditStep.delivered, now(), {
            ...detail,
            outcome: "202",
          }),
        ]);
        known.audited = true;
      }
      await message.ack();
      return;
    }
    const end = metrics.pushSeconds.startTimer();
    try {
      await pushSet(
        {
          url: record.delivery.endpoint_url,
          authorization: record.delivery.authorization_header,
        },
        set.jwt,
        policy,
        agents,
      );
      end();
      const remembered = { audited: false };
      accepted.set(set.jti, remembered);
      breakers.record(receiver, true, Date.now());
      options.onOutcome?.(record, true);
      if (set.event_type === EventType.verification)
        options.onVerified?.(record);
      metrics.deliveries.labels(receiver, "delivered").inc();
      metrics.latency
        .labels("push")
        .observe((Date.now() - set.queued_at_ms) / 1000);
      if (set.action)
        await audit.write([
          auditRecord(set.action, AuditStep.delivered, now(), {
            ...detail,
            outcome: "202",
          }),
        ]);
      remembered.audited = true;
      await message.ack();
    } catch (error) {
      end();
      const failure =
        error instanceof PushError
          ? error
          : new PushError(describeError(error), {
              retriable: true,
              cause: error,
            });
      if (failure.retriable) {
        breakers.record(receiver, false, Date.now());
        options.onOutcome?.(record, false);
        metrics.deliveries.labels(receiver, "retry").inc();
        const delayMs = backoffDelayMs(
          attempt,
          policy.retryInitialMs,
          policy.retryMaxMs,
        );
        log.warn(
          { jti: set.jti, attempt, delayMs, error: describeError(failure) },
          "push failed; will retry",
        );
        if (set.action)
          await audit
            .write([
              auditRecord(set.action, AuditStep.retrying, now(), {
                ...detail,
                outcome: failure.outcome,
              }),
            ])
            .catch(() => undefined);
        await message.nak(delayMs);
      } else {
        metrics.deliveries.labels(receiver, "refused").inc();
        log.error(
          { jti: set.jti, error: describeError(failure) },
          "receiver refused the SET; dead-lettered",
        );
        await queue.deadLetter(streamId, set, failure.outcome);
        if (set.action)
          await audit.write([
            auditRecord(set.action, AuditStep.refused, now(), {
              ...detail,
              outcome: failure.outcome,
            }),
          ]);
        await message.ack();
      }
    }
  }

  async function handle(
    message: TakenSet,
    fetchedFor: StreamRecord,
  ): Promise<void> {
    // The stream may have been paused, disabled or deleted while this batch was being fetched.
    const record = options.stream() ?? fetchedFor;
    if (kind === "events" && record.status !== "enabled") {
      await message.nak(IDLE_WAIT_MS);
      return;
    }
    try {
      await settle(message, record);
    } catch (error) {
      // Dead-letter or audit write failed: leave the SET queued for another try.
      log.warn(
        { jti: message.set.jti, error: describeError(error) },
        "could not settle a SET; will retry",
      );
      await message.nak(policy.retryInitialMs);
    }
  }

  const loop = (async () => {
    while (!abort.signal.aborted) {
      const record = options.stream();
      if (!record) return;
      const breaker = breakers.state(record.owner, Date.now());
      const held = kind === "events" && record.status !== "enabled";
      if (held || breaker.state === CircuitState.open) {
        await sleep(IDLE_WAIT_MS, abort.signal).catch(() => undefined);
        continue;
      }
      try {
        // Half-open: one trial SET, not a batch.
        const batchSize =
          breaker.state === CircuitState.halfOpen ? 1 : policy.concurrency;
        const messages = await queue.take(
          streamId,
          kind,
          batchSize,
          FETCH_EXPIRES_MS,
        );
        await Promise.all(messages.map((message) => handle(message, record)));
      } catch (error) {
        // The queue unreachable for a moment (NATS restarting): the SETs stay queued; try again shortly.
        log.warn(
          { error: describeError(error) },
          "fetching SETs failed; retrying",
        );
        await sleep(FETCH_EXPIRES_MS, abort.signal).catch(() => undefined);
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted)
      log.error({ error: describeError(error) }, "push worker stopped");
  });

  return {
    async stop() {
      abort.abort();
      await loop;
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
