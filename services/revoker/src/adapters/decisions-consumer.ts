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

export const MAX_DELIVER = 10;
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
 * (explicit ack, bounded redelivery). A decision is acked only after `handle` resolved,
 * i.e. every SET it causes is durably queued and the kill switch and audit are written;
 * any failure naks it with jittered back-off.
 */
export async function startDecisionsConsumer(options: {
  readonly connection: NatsConnection;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: RevokerMetrics;
  readonly handle: (action: AgentAction) => Promise<void>;
  /** Runs on each valid decision before `handle` (its OCSF finding); a failure naks it like `handle`'s. */
  readonly record?: (decision: DecisionV1) => Promise<void>;
}): Promise<DecisionsConsumer> {
  const { connection, names, metrics } = options;
  const logger = options.logger.child({ component: "decisions" });
  const manager = await connection.jetstreamManager();
  await ensureDecisionsStream(manager, names);
  try {
    await manager.consumers.info(
      names.decisionsStream,
      names.decisionsConsumer,
    );
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.consumers.add(names.decisionsStream, {
      durable_name: names.decisionsConsumer,
      ack_policy: AckPolicy.Explicit,
      max_deliver: MAX_DELIVER,
      ack_wait: nanos(ACK_WAIT_MS),
    });
  }
  const consumer = await connection
    .jetstream()
    .consumers.get(names.decisionsStream, names.decisionsConsumer);
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: MAX_IN_FLIGHT,
  });

  function parse(message: JsMsg): DecisionV1 | undefined {
    let problems: unknown;
    try {
      const checked = validateDecision(JSON.parse(message.string()));
      if (checked.ok) return checked.value;
      problems = checked.problems;
    } catch (error) {
      problems = describeError(error);
    }
    metrics.decisions.labels("invalid").inc();
    logger.warn(
      { subject: message.subject, seq: message.seq, problems },
      "invalid decision terminated",
    );
    message.term("invalid decision");
    return undefined;
  }

  async function handle(message: JsMsg): Promise<void> {
    const decision = parse(message);
    if (!decision) return;
    const action = actionFromDecision(decision, Date.now() / 1000);
    try {
      await options.record?.(decision);
      await options.handle(action);
      metrics.decisions.labels("queued").inc();
      message.ack();
    } catch (error) {
      metrics.decisions.labels("retry").inc();
      const delayMs = backoffDelayMs(
        message.info.redeliveryCount,
        NAK_INITIAL_MS,
        NAK_MAX_MS,
      );
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
