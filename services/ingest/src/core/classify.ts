import type { CanonicalEvent } from "@warden/shared";
import {
  acceptAuditMessage,
  type AcceptOptions,
  type IngestMessage,
  type Binding,
  type Rejection,
} from "./accept.js";
import { dedupKey, type Deduplicator } from "./dedup.js";

export type Outcome =
  | {
      readonly kind: "accepted";
      readonly event: CanonicalEvent;
      readonly dedupKey: string;
    }
  | {
      readonly kind: "rejected";
      readonly reason: Rejection;
      readonly detail: string;
    }
  | { readonly kind: "duplicate"; readonly eventId: string };

/**
 * One outcome per message, in order. Duplicates are found against the window and within
 * the batch itself; the caller remembers the accepted keys once they are forwarded.
 * `binding` is one for the whole batch (an HTTP request) or one per message (Kafka records).
 */
export function classifyBatch(
  messages: readonly IngestMessage[],
  options: AcceptOptions,
  deduplicator: Deduplicator,
  binding?: Binding | ((index: number) => Binding),
): Outcome[] {
  const inBatch = new Set<string>();
  return messages.map((message, index): Outcome => {
    const outcome = acceptAuditMessage(
      message,
      options,
      typeof binding === "function" ? binding(index) : binding,
    );
    if (!outcome.ok)
      return {
        kind: "rejected",
        reason: outcome.reason,
        detail: outcome.detail,
      };
    const key = dedupKey(outcome.event.tenant, outcome.event.event_id);
    if (inBatch.has(key) || deduplicator.seen(key))
      return { kind: "duplicate", eventId: outcome.event.event_id };
    inBatch.add(key);
    return { kind: "accepted", event: outcome.event, dedupKey: key };
  });
}

/** Keys to remember after the accepted events of a batch were durably forwarded. */
export function acceptedKeys(outcomes: readonly Outcome[]): string[] {
  return outcomes.flatMap((outcome) =>
    outcome.kind === "accepted" ? [outcome.dedupKey] : [],
  );
}
