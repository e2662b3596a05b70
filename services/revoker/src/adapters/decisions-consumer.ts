import {
  AckPolicy,
  nanos,
  type ConsumerMessages,
  type JsMsg,
  type NatsConnection,
} from "nats";
import {
  backoffDelayMs,
  describeError,
  ensureDecisionsStream,
  validateDecision,
  type DecisionV1,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { actionFromDecision, type AgentAction } from "../core/action.js";
import type { RevokerMetrics } from "../metrics.js";
import { DeadReason, type DeadDecisions } from "./dead-decisions.js";

export const ACK_WAIT_MS = 30_000;
export const NAK_INITIAL_MS = 1_000;
export const NAK_MAX_MS = 60_000;
/** Decisions handled at once (each waits on NATS, Kafka and signing, mostly not on CPU). */
export const MAX_IN_FLIGHT = 64;

export interface DecisionsConsumer {
  /** Stops pulling and waits for the messages in hand to finish. */
  stop(): Promise<void>;
}

/**
 * Consumes the decisions stream with the durable pull consumer `names.decisionsConsumer`
 * (explicit ack). A decision is acked only after `handle` resolved, i.e. every SET it causes
 * is durably queued and the kill switch and audit are written; a failure naks it with
 * jittered back-off. After `maxDeliveries` failed deliveries it goes to the dead-letter
 * stream and only then is terminated: JetStream itself never gives up on one (max_deliver -1),
 * so a decision whose dead letter cannot be written is retried instead of dropped (issue 16).
 */
export async function startDecisionsConsumer(options: {
  readonly connection: NatsConnection;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: RevokerMetrics;
  readonly deadLetters: DeadDecisions;
  /** REVOKER_DECISION_MAX_DELIVERIES. */
  readonly maxDeliveries: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly handle: (action: AgentAction) => Promise<void>;
  /** Runs on each valid decision before `handle` (its OCSF finding); a failure naks it like `handle`'s. */
  readonly record?: (decision: DecisionV1) => Promise<void>;
}): Promise<DecisionsConsumer> {
  const { connection, names, metrics, deadLetters } = options;
  const maxDeliveries = options.maxDeliveries;
  const logger = options.logger.child({ component: "decisions" });
  const manager = await connection.jetstreamManager();
  await ensureDecisionsStream(manager, names);
  const consumerConfig = {
    durable_name: names.decisionsConsumer,
    ack_policy: AckPolicy.Explicit,
    max_deliver: -1,
    ack_wait: nanos(ACK_WAIT_MS),
  };
  try {
    const info = await manager.consumers.info(
      names.decisionsStream,
      names.decisionsConsumer,
    );
    // Consumers made before the dead letter stopped at 10 deliveries and dropped the decision.
    if (info.config.max_deliver !== -1)
      await manager.consumers.update(
        names.decisionsStream,
        names.decisionsConsumer,
        { max_deliver: -1 },
      );
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.consumers.add(names.decisionsStream, consumerConfig);
  }
  const consumer = await connection
    .jetstream()
    .consumers.get(names.decisionsStream, names.decisionsConsumer);
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: MAX_IN_FLIGHT,
  });

  const nakDelayMs = (message: JsMsg): number =>
    backoffDelayMs(
      message.info.redeliveryCount,
      options.retryInitialMs ?? NAK_INITIAL_MS,
      // A decision is an agent still acting: never wait longer than a minute between tries.
      Math.min(options.retryMaxMs ?? NAK_MAX_MS, NAK_MAX_MS),
    );

  /** Terminates the message once its dead letter is durable; naks it when that fails. */
  async function deadLetter(
    message: JsMsg,
    reason: DeadReason,
    error: string,
  ): Promise<void> {
    try {
      await deadLetters.put({
        subject: message.subject,
        decision: message.string(),
        reason,
        deliveries: message.info.deliveryCount,
        error,
      });
    } catch (failure) {
      logger.error(
        { seq: message.seq, error: describeError(failure) },
        "could not dead-letter the decision; will retry it",
      );
      message.nak(nakDelayMs(message));
      return;
    }
    message.term(reason);
    metrics.decisions
      .labels(reason === DeadReason.invalid ? "invalid" : "dead_lettered")
      .inc();
  }

  async function parse(message: JsMsg): Promise<DecisionV1 | undefined> {
    let problems: unknown;
    try {
      const checked = validateDecision(JSON.parse(message.string()));
      if (checked.ok) return checked.value;
      problems = checked.problems;
    } catch (error) {
      problems = describeError(error);
    }
    logger.warn(
      { subject: message.subject, seq: message.seq, problems },
      "invalid decision dead-lettered",
    );
    await deadLetter(message, DeadReason.invalid, JSON.stringify(problems));
    return undefined;
  }

  async function handle(message: JsMsg): Promise<void> {
    const decision = await parse(message);
    if (!decision) return;
    const action = actionFromDecision(decision, Date.now() / 1000);
    try {
      await options.record?.(decision);
      await options.handle(action);
      metrics.decisions.labels("queued").inc();
      message.ack();
    } catch (error) {
      if (message.info.deliveryCount >= maxDeliveries) {
        logger.error(
          {
            decision_id: decision.decision_id,
            error: describeError(error),
            deliveries: message.info.deliveryCount,
          },
          "every delivery of the decision failed; dead-lettered (re-drive: POST /admin/dead-decisions/redrive)",
        );
        await deadLetter(message, DeadReason.exhausted, describeError(error));
        return;
      }
      metrics.decisions.labels("retry").inc();
      const delayMs = nakDelayMs(message);
      logger.warn(
        {
          decision_id: decision.decision_id,
          error: describeError(error),
          delivery: message.info.redeliveryCount,
          delayMs,
        },
        "could not queue the decision's SETs; will retry",
      );
      message.nak(delayMs);
    }
  }

  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const message of messages) {
      // Decisions about different agents are independent: handle a few at once, bounded.
      const task = handle(message).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    }
  })().catch((error: unknown) => {
    logger.error({ error: describeError(error) }, "decisions consumer failed");
  });

  return {
    async stop() {
      await messages.close();
      await loop;
      await Promise.all(inFlight);
    },
  };
}
