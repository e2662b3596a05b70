import type {
  QueueKind,
  QueuedSet,
  SetQueue,
  TakenSet,
} from "../core/ports.js";
import { openJournal } from "./journal.js";

type QueueRecord =
  | {
      readonly op: "enqueue";
      readonly stream: string;
      readonly kind: QueueKind;
      readonly set: QueuedSet;
    }
  | {
      readonly op: "ack";
      readonly stream: string;
      readonly kind: QueueKind;
      readonly jti: string;
    }
  | {
      readonly op: "purge";
      readonly stream: string;
      readonly kind: QueueKind;
    };

interface Entry {
  readonly set: QueuedSet;
  handedOut: number;
  /** Not handed out before this time (a nak's delay). */
  availableAtMs: number;
  /** Handed out and not acked: back in the queue after this time (the ack wait). */
  takenUntilMs: number | undefined;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const KINDS: readonly QueueKind[] = ["events", "control"];

/**
 * The SET queue port on one machine: per stream and kind, the SETs in arrival order, each
 * enqueue and ack written to a journal (fdatasync) before it returns, so SETs queued for a
 * receiver that is down survive a kill -9; on restart what was handed out and not acked is
 * handed out again. A jti already queued is not queued twice. Dead letters go to their own
 * NDJSON file.
 */
export function openLocalSetQueue(options: {
  readonly file: string;
  readonly deadLetterFile: string;
  readonly clock?: () => number;
}): SetQueue & { close(): void } {
  const now = options.clock ?? Date.now;
  const journal = openJournal<QueueRecord>(options.file);
  const dead = openJournal<Record<string, unknown>>(options.deadLetterFile);
  const queues = new Map<string, Map<string, Entry>>();
  const ackWaits = new Map<string, number>();
  const waiters = new Set<() => void>();
  const key = (stream: string, kind: QueueKind): string =>
    `${kind}\u0000${stream}`;
  const queueOf = (stream: string, kind: QueueKind): Map<string, Entry> => {
    const id = key(stream, kind);
    let queue = queues.get(id);
    if (!queue) {
      queue = new Map();
      queues.set(id, queue);
    }
    return queue;
  };
  const wake = (): void => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };

  for (const record of journal.records) {
    if (record.op === "enqueue")
      queueOf(record.stream, record.kind).set(record.set.jti, {
        set: record.set,
        handedOut: 0,
        availableAtMs: 0,
        takenUntilMs: undefined,
      });
    else if (record.op === "ack")
      queueOf(record.stream, record.kind).delete(record.jti);
    else queueOf(record.stream, record.kind).clear();
  }
  journal.compact(
    [...queues].flatMap(([id, queue]) => {
      const [kind, stream] = id.split("\u0000") as [QueueKind, string];
      return [...queue.values()].map((entry) => ({
        op: "enqueue" as const,
        stream,
        kind,
        set: entry.set,
      }));
    }),
  );

  const ready = (entry: Entry, nowMs: number): boolean =>
    nowMs >= entry.availableAtMs &&
    (entry.takenUntilMs === undefined || nowMs >= entry.takenUntilMs);

  function handOut(stream: string, kind: QueueKind, max: number): TakenSet[] {
    const queue = queueOf(stream, kind);
    const nowMs = now();
    const taken: TakenSet[] = [];
    for (const entry of queue.values()) {
      if (taken.length >= max) break;
      if (!ready(entry, nowMs)) continue;
      entry.handedOut += 1;
      entry.takenUntilMs =
        nowMs + (ackWaits.get(stream) ?? DEFAULT_ACK_WAIT_MS);
      taken.push({
        set: entry.set,
        redeliveries: entry.handedOut - 1,
        ack() {
          if (queue.get(entry.set.jti) === entry) {
            journal.append({ op: "ack", stream, kind, jti: entry.set.jti });
            queue.delete(entry.set.jti);
          }
          return Promise.resolve();
        },
        nak(delayMs) {
          entry.takenUntilMs = undefined;
          entry.availableAtMs = now() + delayMs;
          wake();
          return Promise.resolve();
        },
      });
    }
    return taken;
  }

  /** When the next SET of the queue becomes ready (a nak's delay or an ack wait ending). */
  function nextReadyMs(stream: string, kind: QueueKind): number {
    let next = Number.POSITIVE_INFINITY;
    for (const entry of queueOf(stream, kind).values())
      next = Math.min(
        next,
        Math.max(entry.availableAtMs, entry.takenUntilMs ?? 0),
      );
    return next;
  }

  return {
    enqueue(stream, kind, set) {
      const queue = queueOf(stream, kind);
      if (queue.has(set.jti)) return Promise.resolve();
      journal.append({ op: "enqueue", stream, kind, set });
      queue.set(set.jti, {
        set,
        handedOut: 0,
        availableAtMs: 0,
        takenUntilMs: undefined,
      });
      wake();
      return Promise.resolve();
    },
    async take(stream, kind, max, waitMs) {
      if (max <= 0) return [];
      const deadline = now() + waitMs;
      for (;;) {
        const taken = handOut(stream, kind, max);
        const left = deadline - now();
        if (taken.length > 0 || left <= 0) return taken;
        const until = Math.min(left, nextReadyMs(stream, kind) - now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, until));
          waiters.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    ensureConsumers(stream, ackWaitMs) {
      ackWaits.set(stream, ackWaitMs);
      return Promise.resolve();
    },
    deleteConsumers(stream) {
      for (const kind of KINDS) {
        journal.append({ op: "purge", stream, kind });
        queues.delete(key(stream, kind));
      }
      ackWaits.delete(stream);
      return Promise.resolve();
    },
    purgeEvents(stream) {
      const queue = queueOf(stream, "events");
      const purged = queue.size;
      journal.append({ op: "purge", stream, kind: "events" });
      queue.clear();
      return Promise.resolve(purged);
    },
    deadLetter(stream, set, reason) {
      dead.append({ stream_id: stream, ...set, reason });
      return Promise.resolve();
    },
    depth: (stream, kind) => Promise.resolve(queueOf(stream, kind).size),
    pending(stream, kind) {
      const nowMs = now();
      let count = 0;
      for (const entry of queueOf(stream, kind).values())
        if (entry.takenUntilMs === undefined || nowMs >= entry.takenUntilMs)
          count += 1;
      return Promise.resolve(count);
    },
    close() {
      wake();
      journal.close();
      dead.close();
    },
  };
}
