import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type StreamConfig,
} from "nats";
import type { RevokerNames } from "@warden/shared";
import { SET_QUEUE_DUPLICATE_WINDOW_MS } from "../config.js";
import type {
  QueueKind,
  QueuedSet,
  SetQueue,
  TakenSet,
} from "../core/ports.js";

/**
 * Acks a settled message and deletes it from the stream, which then holds only what still
 * waits: its caps (REVOKER_QUEUE_MAX_BYTES, REVOKER_QUEUE_MAX_PER_STREAM) bound a backlog, not
 * a week of history (retention is by limits, so acked messages would otherwise stay until
 * max_age). A failed delete costs only space: the message is acked and never handed out again.
 */
export async function settleMessage(
  manager: JetStreamManager,
  stream: string,
  message: JsMsg,
): Promise<void> {
  await message.ackAck();
  await manager.streams
    .deleteMessage(stream, message.seq, false)
    .catch(() => undefined);
}

/** The port's view of a JetStream message; one that is not a queued SET is terminated. */
function taken(
  message: JsMsg,
  settle: (message: JsMsg) => Promise<void>,
): TakenSet | undefined {
  let set: QueuedSet;
  try {
    set = JSON.parse(message.string()) as QueuedSet;
  } catch {
    message.term("not a queued SET");
    return undefined;
  }
  return {
    set,
    redeliveries: message.info.redeliveryCount - 1,
    ack: () => settle(message),
    nak: (delayMs) => Promise.resolve(message.nak(delayMs)),
  };
}

/** Creates the stream, or brings an existing one to `config`. Idempotent. */
async function ensureStream(
  manager: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await manager.streams.info(config.name);
    await manager.streams.update(config.name, config);
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.streams.add(config);
  }
}

export const DUPLICATE_WINDOW_MS = SET_QUEUE_DUPLICATE_WINDOW_MS;
/**
 * Byte cap of the dead SETs (WARDEN_SETS_DEAD), some 100,000 of them: each is alerted on
 * (WardenRevocationDeadLettered) long before, and JetStream reserves a file stream's cap in full.
 */
export const DEAD_SETS_MAX_BYTES = 256 * 1024 * 1024;
const AVAILABLE_TIMEOUT_MS = 5_000;

/**
 * The SET queue port over JetStream: one subject per SSF stream (and one for its control
 * events), so a receiver that is down for hours loses nothing. Message id = jti: JetStream
 * drops a second copy within the duplicate window, so a redelivered decision never queues the
 * same SET twice.
 */
export async function openSetQueue(options: {
  readonly connection: NatsConnection;
  readonly names: RevokerNames;
  readonly maxAgeMs: number;
  /** REVOKER_QUEUE_MAX_BYTES. */
  readonly maxBytes: number;
  /** REVOKER_QUEUE_MAX_PER_STREAM. */
  readonly maxPerStream: number;
}): Promise<SetQueue> {
  const { connection, names } = options;
  const manager: JetStreamManager = await connection.jetstreamManager();
  const js: JetStreamClient = connection.jetstream();
  const config: Partial<StreamConfig> & { name: string } = {
    name: names.setsStream,
    subjects: [...names.setsSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    // How long a paused or unreachable stream's SETs are kept (REVOKER_QUEUE_MAX_AGE).
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    // Bounded under attack (issue 16): a full queue, or one stream's full subject, refuses the
    // publish instead of discarding queued SETs; the decision is then retried and at last
    // dead-lettered, never lost.
    max_bytes: options.maxBytes,
    max_msgs_per_subject: options.maxPerStream,
    discard: DiscardPolicy.New,
    discard_new_per_subject: true,
  };
  // The queue first: before this version it claimed warden.sets.> and with it the dead letters'
  // subjects, which a second stream may only take once the first has let go of them.
  await ensureStream(manager, config);
  // Dead letters are not aged out with the queue (issue 16): no max_age and a byte cap of their
  // own; full, a dead letter is refused and its SET stays queued and retried.
  await ensureStream(manager, {
    name: names.deadSetsStream,
    subjects: [names.deadSetSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_bytes: Math.min(options.maxBytes, DEAD_SETS_MAX_BYTES),
    discard: DiscardPolicy.New,
  });
  const subjectOf = (streamId: string, kind: QueueKind): string =>
    kind === "events"
      ? names.eventsSubject(streamId)
      : names.controlSubject(streamId);

  const settle = (message: JsMsg) =>
    settleMessage(manager, names.setsStream, message);
  const wrap = (message: JsMsg): TakenSet[] => {
    const set = taken(message, settle);
    return set ? [set] : [];
  };
  /**
   * Up to `max` messages available now (a pull with no_wait: the consumer API's fetch waits).
   * The pull is stopped after AVAILABLE_TIMEOUT_MS: when its request or the server's answer is
   * lost in a NATS restart, a no_wait pull would wait for ever and its push worker with it. (A
   * server-side `expires` would instead hold every short batch until it runs out.)
   */
  async function available(
    streamId: string,
    kind: QueueKind,
    max: number,
  ): Promise<JsMsg[]> {
    const messages: JsMsg[] = [];
    if (max <= 0) return messages;
    const pull = js.fetch(names.setsStream, names.consumer(kind, streamId), {
      batch: max,
      no_wait: true,
    });
    const timer = setTimeout(() => pull.stop(), AVAILABLE_TIMEOUT_MS);
    try {
      for await (const message of pull) messages.push(message);
    } finally {
      clearTimeout(timer);
    }
    return messages;
  }

  return {
    async enqueue(streamId, kind, set) {
      await js
        .publish(subjectOf(streamId, kind), JSON.stringify(set), {
          msgID: set.jti,
        })
        .catch((error: unknown) => {
          // nats.js puts JetStream's reason (e.g. a full queue) in api_error, not the message.
          const reason = (error as { api_error?: { description?: string } })
            .api_error?.description;
          throw new Error(
            `the SET queue refused stream ${streamId}'s ${kind} SET: ${reason ?? String(error)}`,
            { cause: error },
          );
        });
    },
    async take(streamId, kind, max, waitMs) {
      if (max <= 0) return [];
      const now = await available(streamId, kind, max);
      if (now.length > 0 || waitMs <= 0) return now.flatMap(wrap);
      // Nothing now: wait for one (a long poll), then take whatever else came with it.
      const consumer = await js.consumers.get(
        names.setsStream,
        names.consumer(kind, streamId),
      );
      const first = await consumer.next({ expires: Math.max(1_000, waitMs) });
      if (!first) return [];
      return [first, ...(await available(streamId, kind, max - 1))].flatMap(
        wrap,
      );
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
    async pending(streamId, kind) {
      const info = await manager.consumers.info(
        names.setsStream,
        names.consumer(kind, streamId),
      );
      return info.num_pending;
    },
  };
}
