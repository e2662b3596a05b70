import {
  DEFAULT_TENANT,
  validateAuditEvent,
  type AuditEventV1,
  type CanonicalEvent,
} from "@warden/shared";
import type { GatewayCredential } from "./gateway-tokens.js";
import { normalise } from "./normalise.js";
import {
  MAX_NESTING_DEPTH,
  freeFormTooDeep,
  semanticProblem,
} from "./semantic-checks.js";

/** Stable reason codes of a rejection; dashboards and `warden dlq` group by them. */
export const REJECTION = {
  tooLarge: "too_large",
  invalidJson: "invalid_json",
  unsupportedSchemaVersion: "unsupported_schema_version",
  schemaViolation: "schema_violation",
  timeInFuture: "time_in_future",
  /** Credentials are configured and the record carries none that verifies (issue 16). */
  unauthenticated: "unauthenticated",
  /** The body names a tenant other than the credential's. */
  tenantMismatch: "tenant_mismatch",
  /** The agent id is outside the credential's agent-id prefixes. */
  agentNotAllowed: "agent_not_allowed",
  /** A foreign record (CloudTrail, OTLP span) that names no agent or action (issue 17). */
  unmappableRecord: "unmappable_record",
} as const;
export type Rejection = (typeof REJECTION)[keyof typeof REJECTION];

export const SUPPORTED_SCHEMA = "agent-audit/v1";
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;
export const DEFAULT_LATE_AFTER_MS = 5 * 60_000;

export interface AcceptOptions {
  readonly maxEventBytes: number;
  readonly maxFutureSkewMs: number;
  /** Events older than this when they arrive are accepted with `late: true`. */
  readonly lateAfterMs: number;
  readonly nowMs: number;
}

/**
 * Who delivered a message, which decides its tenant (issue 16: from the credential, never
 * from the body). `open` only when no gateway credential is configured at all — a
 * loopback-only development set-up — and then the body's tenant stands.
 */
export type Binding =
  | { readonly kind: "open" }
  | { readonly kind: "gateway"; readonly credential: GatewayCredential }
  | { readonly kind: "unauthenticated"; readonly detail: string };

export const OPEN_BINDING: Binding = Object.freeze({ kind: "open" });

export type Accepted = { readonly ok: true; readonly event: CanonicalEvent };
export type Rejected = {
  readonly ok: false;
  readonly reason: Rejection;
  readonly detail: string;
};

// Details quote input back to operators; keep them short and printable.
function quote(text: string): string {
  const clipped = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(clipped);
}

function reject(reason: Rejection, detail: string): Rejected {
  return { ok: false, reason, detail };
}

// One decoder for every call: constructing one per message costs more than the decoding.
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(bytes: Uint8Array): { value: unknown } | Rejected {
  try {
    const text = STRICT_UTF8.decode(bytes);
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const detail =
      error instanceof TypeError
        ? "message is not valid UTF-8"
        : error instanceof Error
          ? error.message
          : "not JSON";
    return reject(REJECTION.invalidJson, detail);
  }
}

function checkSchema(value: unknown): AuditEventV1 | Rejected {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return reject(
      REJECTION.schemaViolation,
      `/ must be a JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`,
    );
  const schema = (value as { schema?: unknown }).schema;
  if (typeof schema === "string" && schema !== SUPPORTED_SCHEMA)
    return reject(
      REJECTION.unsupportedSchemaVersion,
      `/schema ${quote(schema)} is not ${SUPPORTED_SCHEMA}`,
    );
  const validation = validateAuditEvent(value);
  if (!validation.ok) {
    const first = validation.problems[0];
    return reject(
      REJECTION.schemaViolation,
      first ? `${first.path || "/"} ${first.message}` : "invalid",
    );
  }
  if (freeFormTooDeep(validation.value))
    return reject(
      REJECTION.schemaViolation,
      `/ nests deeper than ${MAX_NESTING_DEPTH} levels`,
    );
  return checkSemantics(validation.value);
}

/** What the schema cannot say (blank ids, inexact integers): checked for every event. */
function checkSemantics(event: AuditEventV1): AuditEventV1 | Rejected {
  const problem = semanticProblem(event);
  if (problem)
    return reject(
      REJECTION.schemaViolation,
      `${problem.path} ${problem.message}`,
    );
  return event;
}

/** The tenant to stamp on an event, or why its credential may not send it. */
function boundTenant(
  event: AuditEventV1,
  binding: Binding,
): { readonly tenant: string } | Rejected {
  const claimed = event.tenant?.trim() || undefined;
  if (binding.kind === "open") return { tenant: claimed ?? DEFAULT_TENANT };
  if (binding.kind === "unauthenticated")
    return reject(REJECTION.unauthenticated, binding.detail);
  const { credential } = binding;
  if (claimed !== undefined && claimed !== credential.tenant)
    return reject(
      REJECTION.tenantMismatch,
      `/tenant ${quote(claimed)} is not the tenant of gateway ${quote(credential.gateway)}`,
    );
  const agentId = event.agent.id.trim();
  if (
    credential.agentPrefixes.length > 0 &&
    !credential.agentPrefixes.some((prefix) => agentId.startsWith(prefix))
  )
    return reject(
      REJECTION.agentNotAllowed,
      `/agent/id ${quote(agentId)} is outside the agent-id prefixes of gateway ${quote(credential.gateway)}`,
    );
  return { tenant: credential.tenant };
}

/**
 * An audit event a mapper built in process (an OTLP span's, a CloudTrail record's), with its
 * JSON form serialised once: the record a cluster produces, the byte a size rule counts, a dead
 * letter's value. Its checks are those of a gateway's message after the parse it never needs.
 */
export interface BuiltEvent {
  readonly event: AuditEventV1;
  readonly bytes: Buffer;
  /**
   * The mapper builds its events inside the v1 schema by construction (every field typed,
   * clipped to its limit in code points, from closed vocabularies, attributes flat), proved by
   * its hostile-input property test, which requires the same verdict with and without this
   * flag. Acceptance then skips the schema validator and the depth walk, a third of OTLP's
   * cost, and keeps every check that depends on the data: size, blank ids, time, tenant. In
   * cluster mode the ingest consumer validates the bytes in full again.
   */
  readonly conforms?: boolean;
}

/** What an ingest sink takes: a gateway's bytes, or an event a mapper built. */
export type IngestMessage = Uint8Array | BuiltEvent;

/** A message's bytes as a Buffer (a view, never a copy): a Kafka value, a dead letter's. */
export function messageBytes(message: IngestMessage): Buffer {
  if (!(message instanceof Uint8Array)) return message.bytes;
  return Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/**
 * Takes one message (bytes exactly as a gateway sent them, or an event a mapper built) to a
 * canonical event or a precise rejection; a built event skips only the parse. Pure and total:
 * it never throws, whatever the bytes.
 */
export function acceptAuditMessage(
  message: IngestMessage,
  options: AcceptOptions,
  binding: Binding = OPEN_BINDING,
): Accepted | Rejected {
  // Before parsing: an unauthenticated sender gets no work done on its bytes.
  if (binding.kind === "unauthenticated")
    return reject(REJECTION.unauthenticated, binding.detail);
  const bytes = messageBytes(message);
  if (bytes.byteLength > options.maxEventBytes)
    return reject(
      REJECTION.tooLarge,
      `message is ${bytes.byteLength} bytes, limit ${options.maxEventBytes}`,
    );
  let event: AuditEventV1 | Rejected;
  if (message instanceof Uint8Array) {
    const parsed = parseJson(message);
    if ("ok" in parsed) return parsed;
    event = checkSchema(parsed.value);
  } else
    event = message.conforms
      ? checkSemantics(message.event)
      : checkSchema(message.event);
  if ("ok" in event) return event;
  const timeMs = Date.parse(event.time);
  if (!Number.isFinite(timeMs))
    return reject(
      REJECTION.schemaViolation,
      `/time ${quote(event.time)} is not a time`,
    );
  if (timeMs > options.nowMs + options.maxFutureSkewMs)
    return reject(
      REJECTION.timeInFuture,
      `/time ${quote(event.time)} is more than ${options.maxFutureSkewMs} ms ahead of ingest's clock`,
    );
  const bound = boundTenant(event, binding);
  if ("ok" in bound) return bound;
  return {
    ok: true,
    event: normalise(event, {
      tenant: bound.tenant,
      timeMs,
      receivedMs: options.nowMs,
      late: timeMs < options.nowMs - options.lateAfterMs,
    }),
  };
}
