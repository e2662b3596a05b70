import {
  CANONICAL_EVENT_SCHEMA_ID,
  DEFAULT_TENANT,
  type AuditEventV1,
  type CanonicalEvent,
} from "@warden/shared";

/** Top-level fields of audit event v1; anything else moves into `attributes`. */
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

export interface NormaliseContext {
  readonly timeMs: number;
  readonly receivedMs: number;
  readonly late: boolean;
}

/**
 * The canonical event every later service reads: defaults filled in, ids trimmed, unknown
 * top-level fields kept under `attributes` (in an object without a prototype, so keys such
 * as `__proto__` stay plain data).
 */
export function normalise(
  event: AuditEventV1,
  context: NormaliseContext,
): CanonicalEvent {
  const agentId = event.agent.id.trim();
  const delegation =
    event.delegation && event.delegation.length > 0
      ? event.delegation.map((id) => id.trim())
      : [agentId];
  const attributes = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(event.attributes ?? {}))
    attributes[key] = value;
  for (const [key, value] of Object.entries(event)) {
    if (!KNOWN_FIELDS.has(key)) attributes[key] = value;
  }
  const known = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(event)) {
    if (KNOWN_FIELDS.has(key)) known[key] = value;
  }
  const {
    schema: _schema,
    tenant,
    attributes: _attributes,
    ...rest
  } = known as unknown as AuditEventV1;
  return {
    ...rest,
    schema: CANONICAL_EVENT_SCHEMA_ID,
    event_id: event.event_id.trim(),
    agent: { ...event.agent, id: agentId },
    credential: { ...event.credential, id: event.credential.id.trim() },
    tenant: tenant?.trim() || DEFAULT_TENANT,
    delegation,
    chain_depth: delegation.length,
    chain_root: delegation[0] ?? agentId,
    time_ms: context.timeMs,
    received_ms: context.receivedMs,
    late: context.late,
    attributes,
  };
}
