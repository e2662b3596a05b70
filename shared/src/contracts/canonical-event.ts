import type { AuditEventV1 } from "./generated.js";

/**
 * The one internal form of an event, written by ingest to agent.events.v1 and read
 * by every later service (documented in services/ingest/README.md). Defaults are
 * filled in so readers never re-derive them.
 */
export interface CanonicalEvent extends Omit<
  AuditEventV1,
  "schema" | "tenant" | "delegation" | "attributes"
> {
  readonly schema: typeof CANONICAL_EVENT_SCHEMA_ID;
  readonly tenant: string;
  /** From the originating agent down to agent.id, inclusive; `[agent.id]` when not delegated. */
  readonly delegation: readonly string[];
  readonly chain_depth: number;
  readonly chain_root: string;
  /** `time` as epoch milliseconds. */
  readonly time_ms: number;
  /** When ingest accepted it, epoch milliseconds. */
  readonly received_ms: number;
  /** Older than the ingest's lateness bound when it arrived; accepted, and flagged. */
  readonly late: boolean;
  /** Unknown top-level fields of the audit event, plus the event's own `attributes`. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export const CANONICAL_EVENT_SCHEMA_ID = "agent-event/v1";
export const DEFAULT_TENANT = "default";
