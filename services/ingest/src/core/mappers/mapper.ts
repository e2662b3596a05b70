import type { AuditEventV1 } from "@warden/shared";

/**
 * One mapper per foreign format: a source record (a CloudTrail record, an OTLP span) becomes
 * an audit event v1, a counted skip (records that describe no action, such as CloudTrail
 * digests and Insights), or a dead letter with a reason. The audit event then takes the same
 * path as one a gateway sent (schema, time, de-duplication), so a new source is a table and
 * a test, never a new pipeline.
 */
export const MAPPED_FORMAT = {
  cloudtrail: "cloudtrail",
  otlp: "otlp",
} as const;
export type MappedFormat = (typeof MAPPED_FORMAT)[keyof typeof MAPPED_FORMAT];

/** Why a record was skipped: it is valid input that records no action of an identity. */
export const SKIP_KIND = {
  /** A CloudTrail digest file (integrity hashes of other files). */
  digest: "digest",
  /** A CloudTrail Insights record (an unusual-activity summary, not an API call). */
  insight: "insight",
  /** An OTLP span that is not a GenAI / MCP operation (e.g. an HTTP client span). */
  unrelatedSpan: "unrelated_span",
} as const;
export type SkipKind = (typeof SKIP_KIND)[keyof typeof SKIP_KIND];

export type MapOutcome =
  | {
      readonly kind: "event";
      readonly event: AuditEventV1;
      /** Inside the v1 schema by construction; see `BuiltEvent.conforms` for what that skips. */
      readonly conforms?: true;
    }
  | { readonly kind: "skipped"; readonly skip: SkipKind }
  | {
      readonly kind: "unmappable";
      /** Names the field at fault, e.g. `/userIdentity/type "Alien" is not a known identity type`. */
      readonly detail: string;
    };

/** One record of a decoded document, with its outcome and its own bytes for a dead letter. */
export interface MappedRecord {
  readonly outcome: MapOutcome;
  /** The record as received (JSON), kept as the dead letter's value. */
  readonly raw: () => Buffer;
}

export type DecodedDocument =
  | { readonly ok: true; readonly records: readonly MappedRecord[] }
  | { readonly ok: false; readonly detail: string };

/** A whole-body format served over HTTP: one request body → its records' outcomes. */
export interface DocumentMapper {
  readonly format: MappedFormat;
  /** The version of the foreign format this mapper implements (pinned; see the mapping docs). */
  readonly spec: string;
  /** Content types this mapper decodes (each may be gzip-encoded). */
  readonly contentTypes: readonly string[];
  decode(body: Buffer, contentType: string): DecodedDocument;
}

// Details quote input back to operators; keep them short and printable.
export function quote(value: unknown): string {
  const text =
    typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

export function unmappable(detail: string): MapOutcome {
  return { kind: "unmappable", detail };
}

/** Clips free text to a schema field's limit (code points, so no surrogate is split). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join("").slice(0, max);
}
