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
  rejection: { readonly reason: string; readonly detail: string },
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

/** Header naming the foreign format of a dead-lettered record (`cloudtrail`, `otlp`). */
export const FORMAT_HEADER = "warden-format";

/**
 * Headers of a dead letter that never was a record of agent.audit.v1: a foreign record no
 * mapper could map (cluster and all-in-one), or a line the all-in-one rejected at its HTTP
 * door. `reason` is an ingest rejection, or another room's (`finding_undelivered`).
 */
export function httpDeadLetterHeaders(
  rejection: {
    readonly reason: string;
    readonly detail: string;
    readonly format?: string | undefined;
  },
  receivedAt: Date,
  gateway: string | undefined,
): Record<string, string> {
  return {
    [DEAD_LETTER_HEADER.reason]: rejection.reason,
    [DEAD_LETTER_HEADER.detail]: rejection.detail,
    [DEAD_LETTER_HEADER.receivedAt]: receivedAt.toISOString(),
    [ORIGIN_HEADER.source]: "http",
    ...(rejection.format ? { [FORMAT_HEADER]: rejection.format } : {}),
    ...(gateway ? { [ORIGIN_HEADER.gateway]: gateway } : {}),
  };
}
