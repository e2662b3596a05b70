import {
  CANONICAL_EVENT_SCHEMA_ID,
  type AuditEventV1,
  type CanonicalEvent,
} from "@warden/shared";

/** Optional top-level fields of audit event v1 that pass into the canonical event as they are. */
const OPTIONAL_FIELDS = [
  "on_behalf_of",
  "resource",
  "status_code",
  "bytes_out",
  "bytes_in",
  "usage",
  "records",
  "duration_ms",
  "source",
  "session_id",
  "task_id",
  "trace_id",
] as const;

/** Top-level fields of audit event v1; anything else moves into `attributes`. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "schema",
  "event_id",
  "time",
  "tenant",
  "agent",
  "delegation",
  "credential",
  "action",
  "outcome",
  "attributes",
  ...OPTIONAL_FIELDS,
]);

export interface NormaliseContext {
  /** Decided by the credential that delivered the event (accept.ts), never read from it here. */
  readonly tenant: string;
  readonly timeMs: number;
  readonly receivedMs: number;
  readonly late: boolean;
}

/**
 * The canonical event every later service reads: defaults filled in, ids trimmed, unknown
 * top-level fields kept under `attributes` (keys such as `__proto__` stay plain data).
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
  // Built field by field: copying through spreads and prototype-less objects pushes V8 into
  // slow dictionary objects, and this runs once per event on the hot path.
  const canonical: Record<string, unknown> = {
    schema: CANONICAL_EVENT_SCHEMA_ID,
    event_id: event.event_id.trim(),
    time: event.time,
    time_ms: context.timeMs,
    received_ms: context.receivedMs,
    late: context.late,
    tenant: context.tenant,
    agent: { ...event.agent, id: agentId },
    credential: { ...event.credential, id: event.credential.id.trim() },
    action: event.action,
    outcome: event.outcome,
    delegation,
    chain_depth: delegation.length,
    chain_root: delegation[0] ?? agentId,
  };
  for (const field of OPTIONAL_FIELDS) {
    const value = event[field];
    if (value !== undefined) canonical[field] = value;
  }
  canonical["attributes"] = collectAttributes(event);
  return canonical as unknown as CanonicalEvent;
}

/**
 * The event's own attributes plus unknown top-level fields, in an object without a
 * prototype only when a key such as `__proto__` makes that necessary.
 */
function collectAttributes(event: AuditEventV1): Record<string, unknown> {
  const own = event.attributes ?? {};
  const unknown = Object.keys(event).filter((key) => !KNOWN_FIELDS.has(key));
  const keys = [...Object.keys(own), ...unknown];
  if (keys.length === 0) return {};
  const attributes: Record<string, unknown> = keys.some(
    (key) => key === "__proto__",
  )
    ? (Object.create(null) as Record<string, unknown>)
    : {};
  for (const [key, value] of Object.entries(own)) attributes[key] = value;
  for (const key of unknown)
    attributes[key] = (event as unknown as Record<string, unknown>)[key];
  return attributes;
}
