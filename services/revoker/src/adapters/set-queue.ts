import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from "nats";
import type { AgentAction } from "../core/action.js";
import type { RevokerNames } from "@warden/shared";

/**
 * The durable queue of signed SETs, one JetStream subject per SSF stream (and one for its
 * control events), so a receiver that is down for hours loses nothing. Message id = jti:
 * JetStream drops a second copy within the duplicate window, so a redelivered decision
 * never queues the same SET twice.
 */
export interface QueuedSet {
  readonly jti: string;
  readonly jwt: string;
  readonly event_type: string;
  /** When the cause (decision) was queued, ms: start of the delivery-latency measurement. */
  readonly queued_at_ms: number;
  /** For audit; absent for SSF control events. */
  readonly action?: AgentAction;
}

export type QueueKind = "events" | "control";

export interface SetQueue {
  enqueue(streamId: string, kind: QueueKind, set: QueuedSet): Promise<void>;
  consumer(streamId: string, kind: QueueKind): Promise<Consumer>;
  /**
   * Up to `max` messages available now, redeliveries included (a pull with no_wait, which the
   * consumer API lacks: its fetch waits for a full batch or its expiry).
   */
  take(streamId: string, kind: QueueKind, max: number): Promise<JsMsg[]>;
  /** Creates the stream's two durable consumers if missing. */
  ensureConsumers(streamId: string, ackWaitMs: number): Promise<void>;
  deleteConsumers(streamId: string): Promise<void>;
  /** Drops the stream's queued agent events (disabled stream); returns how many. */
  purgeEvents(streamId: string): Promise<number>;
  deadLetter(streamId: string, set: QueuedSet, reason: string): Promise<void>;
  /** Pending + unacknowledged messages of a consumer. */
  depth(streamId: string, kind: QueueKind): Promise<number>;
}

export const DUPLICATE_WINDOW_MS = 10 * 60_000;

export async function openSetQueue(options: {
  readonly connection: NatsConnection;
  readonly names: RevokerNames;
  readonly maxAgeMs: number;
}): Promise<SetQueue> {
  const { connection, names } = options;
  const manager: JetStreamManager = await connection.jetstreamManager();
  const js: JetStreamClient = connection.jetstream();
  const config = {
    name: names.setsStream,
    subjects: [names.setsSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    // How long a paused or unreachable stream's SETs are kept (REVOKER_QUEUE_MAX_AGE).
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  try {
    await manager.streams.info(names.setsStream);
    await manager.streams.update(names.setsStream, config);
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.streams.add(config);
  }
  const subjectOf = (streamId: string, kind: QueueKind): string =>
    kind === "events"
      ? names.eventsSubject(streamId)
      : names.controlSubject(streamId);

  return {
    async enqueue(streamId, kind, set) {
      await js.publish(subjectOf(streamId, kind), JSON.stringify(set), {
        msgID: set.jti,
      });
    },
    consumer: (streamId, kind) =>
      js.consumers.get(names.setsStream, names.consumer(kind, streamId)),
    async take(streamId, kind, max) {
      const messages: JsMsg[] = [];
      if (max <= 0) return messages;
      for await (const message of js.fetch(
        names.setsStream,
        names.consumer(kind, streamId),
        {
          batch: max,
          no_wait: true,
        },
      ))
        messages.push(message);
      return messages;
    },
    async ensureConsumers(streamId, ackWaitMs) {
      for (const kind of ["events", "control"] as const) {
        const name = names.consumer(kind, streamId);
        try {
          await manager.consumers.info(names.setsStream, name);
        } catch (error) {
          if ((error as { code?: string }).code !== "404") throw error;
          await manager.consumers.add(names.setsStream, {
            durable_name: name,
            filter_subject: subjectOf(streamId, kind),
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(ackWaitMs),
            // Unbounded: the worker dead-letters by age (REVOKER_DEAD_LETTER_AFTER) instead.
            max_deliver: -1,
            max_ack_pending: 10_000,
          });
        }
      }
    },
    async deleteConsumers(streamId) {
      for (const kind of ["events", "control"] as const)
        await manager.consumers
          .delete(names.setsStream, names.consumer(kind, streamId))
          .catch(() => undefined);
      await manager.streams.purge(names.setsStream, {
        filter: names.eventsSubject(streamId),
      });
      await manager.streams.purge(names.setsStream, {
        filter: names.controlSubject(streamId),
      });
    },
    async purgeEvents(streamId) {
      const result = await manager.streams.purge(names.setsStream, {
        filter: names.eventsSubject(streamId),
      });
      return result.purged;
    },
    async deadLetter(streamId, set, reason) {
      await js.publish(
        names.deadSubject(streamId),
        JSON.stringify({ ...set, reason }),
      );
    },
    async depth(streamId, kind) {
      const info = await manager.consumers.info(
        names.setsStream,
        names.consumer(kind, streamId),
      );
      return info.num_pending + info.num_ack_pending;
    },
  };
}
