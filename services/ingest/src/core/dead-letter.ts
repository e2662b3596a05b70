import type { Rejection } from "./accept.js";

/**
 * Dead letters carry the original bytes as their value and everything else in headers,
 * so the value can be re-submitted exactly as the gateway sent it.
 */
export const DEAD_LETTER_HEADER = {
  reason: "warden-reason",
  detail: "warden-detail",
  sourceTopic: "warden-source-topic",
  sourcePartition: "warden-source-partition",
  sourceOffset: "warden-source-offset",
  receivedAt: "warden-received-at",
} as const;

/** Set by HTTP ingest on what it produces, so counts and dead letters name the entry point. */
export const ORIGIN_HEADER = {
  source: "warden-source",
  gateway: "warden-gateway",
} as const;

export interface DeadLetterOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly receivedAt: Date;
  readonly gateway?: string | undefined;
}

export function deadLetterHeaders(
  rejection: { readonly reason: Rejection; readonly detail: string },
  origin: DeadLetterOrigin,
): Record<string, string> {
  return {
    [DEAD_LETTER_HEADER.reason]: rejection.reason,
    [DEAD_LETTER_HEADER.detail]: rejection.detail,
    [DEAD_LETTER_HEADER.sourceTopic]: origin.topic,
    [DEAD_LETTER_HEADER.sourcePartition]: String(origin.partition),
    [DEAD_LETTER_HEADER.sourceOffset]: origin.offset,
    [DEAD_LETTER_HEADER.receivedAt]: origin.receivedAt.toISOString(),
    ...(origin.gateway ? { [ORIGIN_HEADER.gateway]: origin.gateway } : {}),
  };
}
