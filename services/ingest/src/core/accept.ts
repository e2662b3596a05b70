import {
  CANONICAL_EVENT_SCHEMA_ID,
  DEFAULT_TENANT,
  validateAuditEvent,
  type AuditEventV1,
  type CanonicalEvent,
} from "@warden/shared";

/** Stable reason codes of a rejection; dashboards and `warden dlq` group by them. */
export const REJECTION = {
  tooLarge: "too_large",
  invalidJson: "invalid_json",
  unsupportedSchemaVersion: "unsupported_schema_version",
  schemaViolation: "schema_violation",
  timeInFuture: "time_in_future",
} as const;
export type Rejection = (typeof REJECTION)[keyof typeof REJECTION];

export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

export interface AcceptOptions {
  readonly maxEventBytes: number;
  readonly maxFutureSkewMs: number;
  readonly nowMs: number;
}

export type Accepted = { readonly ok: true; readonly event: CanonicalEvent };
export type Rejected = {
  readonly ok: false;
  readonly reason: Rejection;
  readonly detail: string;
};

const KNOWN_FIELDS = new Set([
  "schema",
  "event_id",
  "time",
  "tenant",
  "agent",
  "on_behalf_of",
  "delegation",
  "credential",
  "action",
  "resource",
  "outcome",
  "status_code",
  "bytes_out",
  "bytes_in",
  "records",
  "duration_ms",
  "source",
  "session_id",
  "task_id",
  "trace_id",
  "attributes",
]);

/** Takes one raw message (bytes as a gateway sent them) to a canonical event or a precise rejection. */
export function acceptAuditMessage(
  bytes: Uint8Array,
  options: AcceptOptions,
): Accepted | Rejected {
  if (bytes.byteLength > options.maxEventBytes) {
    return {
      ok: false,
      reason: REJECTION.tooLarge,
      detail: `message is ${bytes.byteLength} bytes, limit ${options.maxEventBytes}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    );
  } catch (error) {
    return {
      ok: false,
      reason: REJECTION.invalidJson,
      detail: error instanceof Error ? error.message : "not JSON",
    };
  }
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    const schema = (parsed as { schema?: unknown }).schema;
    if (typeof schema === "string" && schema !== "agent-audit/v1") {
      return {
        ok: false,
        reason: REJECTION.unsupportedSchemaVersion,
        detail: `schema "${schema.slice(0, 64)}" is not agent-audit/v1`,
      };
    }
  }
  const validation = validateAuditEvent(parsed);
  if (!validation.ok) {
    const first = validation.problems[0];
    return {
      ok: false,
      reason: REJECTION.schemaViolation,
      detail: first ? `${first.path} ${first.message}` : "invalid",
    };
  }
  const timeMs = Date.parse(validation.value.time);
  if (timeMs > options.nowMs + options.maxFutureSkewMs) {
    return {
      ok: false,
      reason: REJECTION.timeInFuture,
      detail: `/time ${validation.value.time} is more than ${options.maxFutureSkewMs} ms ahead`,
    };
  }
  return {
    ok: true,
    event: normalise(validation.value, timeMs, options.nowMs),
  };
}

function normalise(
  event: AuditEventV1,
  timeMs: number,
  nowMs: number,
): CanonicalEvent {
  const agentId = event.agent.id.trim();
  const delegation =
    event.delegation && event.delegation.length > 0
      ? event.delegation.map((id) => id.trim())
      : [agentId];
  const attributes: Record<string, unknown> = Object.create(null) as Record<
    string,
    unknown
  >;
  Object.assign(attributes, event.attributes ?? {});
  for (const key of Object.keys(event)) {
    if (!KNOWN_FIELDS.has(key))
      attributes[key] = (event as unknown as Record<string, unknown>)[key];
  }
  const { schema: _schema, tenant, attributes: _attributes, ...rest } = event;
  return {
    ...rest,
    schema: CANONICAL_EVENT_SCHEMA_ID,
    event_id: event.event_id.trim(),
    agent: { ...event.agent, id: agentId },
    tenant: tenant?.trim() || DEFAULT_TENANT,
    delegation,
    chain_depth: delegation.length,
    chain_root: delegation[0] ?? agentId,
    time_ms: timeMs,
    received_ms: nowMs,
    late: false,
    attributes,
  };
}
