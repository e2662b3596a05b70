import {
  AckPolicy,
  nanos,
  type ConsumerMessages,
  type JsMsg,
  type NatsConnection,
} from "nats";
import {
  describeError,
  ensureDecisionsStream,
  isRetriable,
  validateDecision,
  type DecisionV1,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { buildRevocationSet } from "../core/set.js";
import type { SigningKey } from "../signing-key.js";
import type { createRevokerMetrics } from "../metrics.js";
import { pushSet, type PushTarget } from "./push.js";

export const MAX_DELIVER = 10;
export const ACK_WAIT_MS = 30_000;
export const NAK_INITIAL_MS = 1_000;
export const NAK_MAX_MS = 60_000;

/** Redelivery delay after the `delivery`-th failed attempt: 1 s, 2 s, 4 s, … capped at 60 s. */
export function nakDelayMs(delivery: number): number {
  return Math.min(
    NAK_MAX_MS,
    NAK_INITIAL_MS * 2 ** Math.max(0, Math.min(delivery, 30) - 1),
  );
}

export interface DecisionsConsumer {
  /** Stops pulling and waits for the message in hand to finish. */
  stop(): Promise<void>;
}

/**
 * Consumes the decisions stream with the durable pull consumer `names.decisionsConsumer`,
 * one message at a time: revoke → signed SET pushed → ack + kill switch published.
 */
export async function startDecisionsConsumer(options: {
  readonly connection: NatsConnection;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: ReturnType<typeof createRevokerMetrics>;
  readonly signingKey: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  readonly push: PushTarget;
}): Promise<DecisionsConsumer> {
  const { connection, names, logger, metrics } = options;
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
    max_messages: 16,
  });
  const encoder = new TextEncoder();

  async function handle(message: JsMsg): Promise<void> {
    let decision: DecisionV1;
    try {
      const checked = validateDecision(JSON.parse(message.string()));
      if (!checked.ok) {
        metrics.invalid.inc();
        logger.warn(
          {
            subject: message.subject,
            seq: message.seq,
            problems: checked.problems,
          },
          "invalid decision terminated",
        );
        message.term("invalid decision");
        return;
      }
      decision = checked.value;
    } catch (error) {
      metrics.invalid.inc();
      logger.warn(
        {
          subject: message.subject,
          seq: message.seq,
          error: describeError(error),
        },
        "unparseable decision terminated",
      );
      message.term("invalid json");
      return;
    }
    if (decision.action !== "revoke") {
      metrics.skipped.inc();
      message.ack();
      return;
    }
    const log = logger.child({
      decision_id: decision.decision_id,
      agent_id: decision.agent_id,
    });
    const end = metrics.pushSeconds.startTimer();
    try {
      const claims = buildRevocationSet(decision, {
        issuer: options.issuer,
        audience: options.audience,
        nowSeconds: Date.now() / 1000,
      });
      const jwt = await options.signingKey.sign({ ...claims });
      await pushSet(options.push, jwt);
      end();
      metrics.delivered.inc();
      const tenant = decision.tenant ?? "default";
      connection.publish(
        names.killSwitchSubject(tenant, decision.agent_id),
        encoder.encode(
          JSON.stringify({
            agent_id: decision.agent_id,
            tenant,
            decision_id: decision.decision_id,
            reason: decision.reasons[0]?.summary ?? "revoked by policy",
          }),
        ),
      );
      message.ack();
      log.info({ jti: claims.jti }, "revocation delivered");
    } catch (error) {
      end();
      if (isRetriable(error)) {
        metrics.failures.labels("retriable").inc();
        const delayMs = nakDelayMs(message.info.redeliveryCount);
        log.warn(
          {
            error: describeError(error),
            delivery: message.info.redeliveryCount,
            delayMs,
          },
          "revocation delivery failed; will retry",
        );
        message.nak(delayMs);
      } else {
        metrics.failures.labels("permanent").inc();
        log.error(
          { error: describeError(error) },
          "revocation delivery failed permanently; terminated",
        );
        message.term("permanent delivery failure");
      }
    }
  }

  const loop = (async () => {
    for await (const message of messages) {
      await handle(message);
    }
  })().catch((error: unknown) => {
    logger.error({ error: describeError(error) }, "decisions consumer failed");
  });

  return {
    async stop() {
      await messages.close();
      await loop;
    },
  };
}
