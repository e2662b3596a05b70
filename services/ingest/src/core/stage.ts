import type { CanonicalEvent } from "@warden/shared";
import type {
  AcceptOptions,
  Binding,
  IngestMessage,
  Rejection,
} from "./accept.js";
import { acceptedKeys, classifyBatch, type Outcome } from "./classify.js";
import type { Deduplicator } from "./dedup.js";

/** An accepted event and the position of its message in the batch. */
export interface ForwardedEvent {
  readonly index: number;
  readonly event: CanonicalEvent;
}

/** A rejected message: its position in the batch, so the port can keep its original bytes. */
export interface RejectedMessage {
  readonly index: number;
  readonly reason: Rejection;
  readonly detail: string;
}

/**
 * Where one ingest batch goes. Each resolves only once what it was handed is durable (or, in
 * replay, consumed): the stage remembers event ids for de-duplication after both, so a batch
 * that fails half way is retried whole and nothing is taken for a duplicate and lost.
 */
export interface IngestPorts {
  forward(events: readonly ForwardedEvent[]): Promise<void>;
  deadLetter(messages: readonly RejectedMessage[]): Promise<void>;
}

/**
 * The ingest's one batch step, the same in every host (Kafka pipeline, all-in-one, replay):
 * classify every message (checks and de-duplication), forward the accepted events, dead-letter
 * the rejected messages with their reason, then remember the accepted ids. One outcome per
 * message, in order, for the caller's counts and replies.
 */
export async function ingestBatch(
  messages: readonly IngestMessage[],
  options: AcceptOptions,
  deduplicator: Deduplicator,
  ports: IngestPorts,
  binding?: Binding | ((index: number) => Binding),
): Promise<Outcome[]> {
  const outcomes = classifyBatch(messages, options, deduplicator, binding);
  const events: ForwardedEvent[] = [];
  const rejected: RejectedMessage[] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome.kind === "accepted")
      events.push({ index, event: outcome.event });
    else if (outcome.kind === "rejected")
      rejected.push({ index, reason: outcome.reason, detail: outcome.detail });
  });
  if (events.length > 0) await ports.forward(events);
  if (rejected.length > 0) await ports.deadLetter(rejected);
  deduplicator.remember(acceptedKeys(outcomes));
  return outcomes;
}
