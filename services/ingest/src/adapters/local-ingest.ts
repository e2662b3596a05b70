import type { CanonicalEvent } from "@warden/shared";
import { messageBytes, type Binding } from "../core/accept.js";
import { httpDeadLetterHeaders } from "../core/dead-letter.js";
import type { Deduplicator } from "../core/dedup.js";
import { ingestBatch } from "../core/stage.js";
import type { IngestConfig } from "../config.js";
import type { IngestMetrics } from "../metrics.js";
import type { IngestSink, LineResult } from "./http-ingest.js";
import type { DeadLetterSink } from "./http-mapped.js";
import type { LocalDeadLetters } from "./local-dead-letters.js";

/**
 * The ingest stage for a host that stores and scores in its own process (the all-in-one): a
 * posted batch is classified, its accepted events handed to `forward` (store, then score)
 * before the request is answered, its rejected lines dead-lettered in the DLQ's shape in the
 * local dead-letter table, keyed by the gateway as the cluster keys what it could not read.
 * Foreign records no mapper could map (CloudTrail, OTLP) join the same dead letters.
 */
export function createLocalIngest(options: {
  readonly ingest: IngestConfig;
  readonly deduplicator: Deduplicator;
  readonly metrics: IngestMetrics;
  readonly deadLetters: LocalDeadLetters;
  readonly forward: (events: readonly CanonicalEvent[]) => Promise<void>;
}): {
  sink: IngestSink;
  deadLetter: DeadLetterSink;
  readonly counts: { accepted: number; rejected: number };
} {
  const { ingest, deduplicator, deadLetters, metrics } = options;
  const counts = { accepted: 0, rejected: 0 };
  const gatewayOf = (binding: Binding) =>
    binding.kind === "gateway" ? binding.credential.gateway : undefined;
  const keyOf = (binding: Binding) => {
    const gateway = gatewayOf(binding);
    return gateway === undefined ? null : Buffer.from(gateway);
  };

  const sink: IngestSink = async (messages, binding) => {
    const receivedAt = new Date();
    const outcomes = await ingestBatch(
      messages,
      { ...ingest, nowMs: receivedAt.getTime() },
      deduplicator,
      {
        forward: (events) => options.forward(events.map(({ event }) => event)),
        deadLetter: (rejected) =>
          deadLetters.write(
            rejected.map(({ index, reason, detail }) => ({
              key: keyOf(binding),
              value: messageBytes(messages[index] ?? Buffer.alloc(0)),
              headers: httpDeadLetterHeaders(
                { reason, detail },
                receivedAt,
                gatewayOf(binding),
              ),
            })),
          ),
      },
      binding,
    );
    for (const outcome of outcomes)
      if (outcome.kind === "accepted") counts.accepted++;
      else if (outcome.kind === "rejected") counts.rejected++;
    metrics.countOutcomes(
      outcomes.map((outcome) => ({ outcome, source: "http" as const })),
      receivedAt.getTime(),
    );
    metrics.dedupEntries.set(deduplicator.size);
    return outcomes.map((outcome, index): LineResult => {
      const line = index + 1;
      if (outcome.kind === "rejected")
        return {
          line,
          status: "rejected",
          reason: outcome.reason,
          detail: outcome.detail,
        };
      return { line, status: outcome.kind };
    });
  };

  const deadLetter: DeadLetterSink = (letters, binding) => {
    const receivedAt = new Date();
    return deadLetters.write(
      letters.map((letter) => ({
        key: keyOf(binding),
        value: letter.raw,
        headers: httpDeadLetterHeaders(letter, receivedAt, gatewayOf(binding)),
      })),
    );
  };
  return { sink, deadLetter, counts };
}
