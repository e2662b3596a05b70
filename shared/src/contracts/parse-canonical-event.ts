import {
  CANONICAL_EVENT_SCHEMA_ID,
  type CanonicalEvent,
} from "./canonical-event.js";

/**
 * Parses one message of agent.events.v1. Ingest already validated it, so this only
 * checks the shape later services read; anything else is an error the caller counts and skips.
 */
export function parseCanonicalEvent(bytes: Buffer | null): CanonicalEvent {
  const value: unknown = JSON.parse(bytes?.toString("utf8") ?? "");
  const event = value as Partial<CanonicalEvent> | null;
  if (
    typeof event !== "object" ||
    event === null ||
    event.schema !== CANONICAL_EVENT_SCHEMA_ID ||
    typeof event.event_id !== "string" ||
    typeof event.tenant !== "string" ||
    typeof event.time_ms !== "number" ||
    typeof event.agent?.id !== "string" ||
    typeof event.credential?.id !== "string" ||
    typeof event.action?.name !== "string" ||
    !Array.isArray(event.delegation)
  )
    throw new Error("not an agent-event/v1 object");
  return event as CanonicalEvent;
}
