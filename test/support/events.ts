import type { CanonicalEvent } from "@warden/shared";

/** A minimal canonical event of `agentId` at `timeMs`, as ingest would write it. */
export function canonicalEvent(
  agentId: string,
  timeMs: number,
  index: number,
): CanonicalEvent {
  return {
    schema: "agent-event/v1",
    event_id: `event-${agentId}-${index}`,
    time: new Date(timeMs).toISOString(),
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: "acme",
    agent: { id: agentId },
    credential: { id: "key", type: "api_key" },
    action: { name: "x", verb: "read" },
    outcome: "success",
    delegation: [agentId],
    chain_depth: 1,
    chain_root: agentId,
    attributes: {},
  };
}

/** A valid audit event v1 of `agentId`, as a gateway would send it. */
export function auditEvent(
  agentId: string,
  index: number,
  timeMs = Date.now(),
): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `audit-${agentId}-${index}`,
    time: new Date(timeMs).toISOString(),
    tenant: "acme",
    agent: { id: agentId, kind: "test-bot" },
    credential: { id: `key-${agentId}`, type: "api_key" },
    action: { name: "crm.contacts.read", verb: "read" },
    outcome: "success",
    bytes_out: 100 + index,
  });
}
