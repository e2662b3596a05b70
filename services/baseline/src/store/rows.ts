import { createHash } from "node:crypto";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";

/**
 * Kafka messages → ClickHouse rows, pure. Numbers are clamped into their column types here
 * so that a row can never make an insert fail (a failing row would block its partition).
 */

export type Row = Record<string, unknown>;

/** A parsed message: its row and the id and time the sink de-duplicates on. */
export interface ParsedRow {
  readonly id: string;
  readonly timeMs: number;
  readonly row: Row;
  /** `[tenant, agent id]` of an event, whose roll-up buckets it counts in. */
  readonly agent?: readonly [string, string];
}

const UINT8_MAX = 255;

function unsigned(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0
    ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER)
    : 0;
}

function epochMs(value: unknown, fallbackMs: number): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return fallbackMs;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function eventRow(event: CanonicalEvent): ParsedRow {
  const chain = event.delegation;
  return {
    id: event.event_id,
    timeMs: event.time_ms,
    agent: [event.tenant, event.agent.id],
    row: {
      event_id: event.event_id,
      tenant: event.tenant,
      agent_id: event.agent.id,
      agent_kind: event.agent.kind ?? "",
      time: event.time_ms,
      credential_id: event.credential.id,
      action_name: event.action.name,
      verb: event.action.verb,
      resource_id: event.resource?.id ?? "",
      resource_type: event.resource?.type ?? "",
      sensitivity: event.resource?.sensitivity ?? "",
      outcome: event.outcome,
      bytes_out: unsigned(event.bytes_out),
      chain_depth: Math.min(unsigned(event.chain_depth), UINT8_MAX),
      source_ip: event.source?.ip ?? "",
      gateway: event.source?.gateway ?? "",
      instance: event.agent.instance ?? "",
      scopes: event.credential.scopes ?? [],
      // The agent directly above this one in the delegation chain.
      delegation_parent:
        chain.length >= 2 ? (chain[chain.length - 2] ?? "") : "",
      late: event.late ? 1 : 0,
      raw: JSON.stringify(event),
    },
  };
}

/** A decision of agent.decisions.v1; throws when the message is not one. */
export function decisionRow(
  bytes: Buffer | null,
  fallbackMs: number,
): ParsedRow {
  const value: unknown = JSON.parse(bytes?.toString("utf8") ?? "");
  const decision = value as Partial<DecisionV1> | null;
  if (
    typeof decision !== "object" ||
    decision === null ||
    decision.schema !== "agent-decision/v1" ||
    typeof decision.decision_id !== "string" ||
    typeof decision.agent_id !== "string" ||
    !Array.isArray(decision.reasons)
  )
    throw new Error("not an agent-decision/v1 object");
  const at = epochMs(decision.at, fallbackMs);
  const reasons = decision.reasons.filter(
    (reason) => typeof reason === "object" && reason !== null,
  );
  return {
    id: decision.decision_id,
    timeMs: at,
    row: {
      decision_id: decision.decision_id,
      tenant: text(decision.tenant),
      agent_id: decision.agent_id,
      action: text(decision.action),
      risk:
        typeof decision.risk === "number" && Number.isFinite(decision.risk)
          ? decision.risk
          : 0,
      at,
      decided_at: epochMs(decision.decided_at, at),
      trigger_event_id: text(decision.trigger_event_id),
      detectors: reasons.map((reason) => text(reason.detector)),
      summary: text(reasons[0]?.summary),
      raw: JSON.stringify(decision),
    },
  };
}

/**
 * A record of warden.revocations.v1 (the revoker's delivery audit). Its contract is still
 * open (issue 6), so this reads the obvious fields leniently and keeps the whole record in
 * `raw`; without an id field the id is a hash of the bytes, which is stable on re-delivery.
 */
export function revocationRow(
  bytes: Buffer | null,
  fallbackMs: number,
): ParsedRow {
  const value: unknown = JSON.parse(bytes?.toString("utf8") ?? "");
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("not a JSON object");
  const record = value as Record<string, unknown>;
  const id =
    text(record["revocation_id"]) ||
    text(record["id"]) ||
    text(record["jti"]) ||
    createHash("sha256")
      .update(bytes ?? "")
      .digest("hex");
  const at = epochMs(
    record["at"] ?? record["time"] ?? record["issued_at"] ?? record["sent_at"],
    fallbackMs,
  );
  return {
    id,
    timeMs: at,
    row: {
      revocation_id: id,
      tenant: text(record["tenant"]),
      agent_id: text(record["agent_id"]),
      decision_id: text(record["decision_id"]),
      action: text(record["action"]) || text(record["type"]),
      outcome: text(record["outcome"]) || text(record["status"]),
      at,
      raw: JSON.stringify(record),
    },
  };
}
