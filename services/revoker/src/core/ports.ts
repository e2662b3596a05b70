import type { AgentAction } from "./action.js";

/**
 * The revoker's ports, shaped by what the transmitter needs rather than by one host: JetStream
 * and NATS KV implement them in the cluster (adapters/set-queue.ts, adapters/nats-kv.ts), files
 * under the data directory in the all-in-one (adapters/local-store.ts).
 */

/** One signed SET waiting for its receiver. */
export interface QueuedSet {
  readonly jti: string;
  readonly jwt: string;
  readonly event_type: string;
  /** When the cause (decision) was queued, ms: start of the delivery-latency measurement. */
  readonly queued_at_ms: number;
  /** For audit; absent for SSF control events. */
  readonly action?: AgentAction;
}

/** Each SSF stream has two queues: its agent events (held while paused) and its control events. */
export type QueueKind = "events" | "control";

/** A SET handed out by `take`: it comes back after the ack wait unless acked. */
export interface TakenSet {
  readonly set: QueuedSet;
  /** How many times it was handed out before (0 the first time). */
  readonly redeliveries: number;
  /** Delivered (or dead-lettered): never handed out again. */
  ack(): Promise<void>;
  /** Not delivered: hand it out again after `delayMs`. */
  nak(delayMs: number): Promise<void>;
}

/**
 * The durable queue of signed SETs per SSF stream. Enqueueing a jti that is already queued
 * is a no-op, so a redelivered decision never queues the same SET twice.
 */
export interface SetQueue {
  enqueue(streamId: string, kind: QueueKind, set: QueuedSet): Promise<void>;
  /**
   * Up to `max` SETs available now, redeliveries included; when none is and `waitMs` > 0,
   * waits up to that long for the first one.
   */
  take(
    streamId: string,
    kind: QueueKind,
    max: number,
    waitMs: number,
  ): Promise<TakenSet[]>;
  /** Makes the stream's two queues ready (idempotent); `ackWaitMs` before an un-acked SET returns. */
  ensureConsumers(streamId: string, ackWaitMs: number): Promise<void>;
  /** Drops the stream's queues and everything in them (stream deleted). */
  deleteConsumers(streamId: string): Promise<void>;
  /** Drops the stream's queued agent events (disabled stream); returns how many. */
  purgeEvents(streamId: string): Promise<number>;
  deadLetter(streamId: string, set: QueuedSet, reason: string): Promise<void>;
  /** SETs not yet acked: waiting plus handed out. */
  depth(streamId: string, kind: QueueKind): Promise<number>;
  /** SETs waiting to be handed out (not counting those handed out and not yet acked). */
  pending(streamId: string, kind: QueueKind): Promise<number>;
}

/**
 * A durable map of small JSON documents (stream configurations, pending approvals, revoked
 * agents): a NATS KV bucket in the cluster, a journal file in the all-in-one.
 */
export interface KeyValue {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  /** Writes only when the key is absent; false when it is there already. */
  create(key: string, value: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
  /**
   * Calls `listener` with every current entry, resolves, then calls it on every change (this
   * process's and, in the cluster, other replicas') until stopped.
   */
  watch(
    listener: (key: string, value: string | undefined) => void,
  ): Promise<{ stop(): Promise<void> }>;
}
