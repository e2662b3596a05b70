import { AGENT_EVENT_TYPES, SUPPORTED_EVENT_TYPES } from "./event-types.js";
import {
  DEFAULT_SUBJECT_FORMAT,
  SUBJECT_FORMATS,
  type SubjectFormat,
  type SubjectIssuer,
  subjectProblem,
  subjectKey,
  subjectNamesAgent,
  type AgentRef,
  type Subject,
} from "./subject.js";

/** SSF 1.0 stream configuration and status, as pure functions over plain records. */
export const DeliveryMethod = {
  push: "urn:ietf:rfc:8935",
  poll: "urn:ietf:rfc:8936",
} as const;
export type DeliveryMethod =
  (typeof DeliveryMethod)[keyof typeof DeliveryMethod];

export const StreamStatus = {
  enabled: "enabled",
  paused: "paused",
  disabled: "disabled",
} as const;
export type StreamStatus = (typeof StreamStatus)[keyof typeof StreamStatus];
const STATUSES: readonly string[] = Object.values(StreamStatus);

export type DefaultSubjects = "ALL" | "NONE";

/** A receiver's or stream's tenant scope: one tenant, or `*` for the operator's all-tenant streams. */
export const ALL_TENANTS = "*";

/** Warden extension `compatibility`: `okta` also puts the subject inside each event (Okta's risk-events format). */
export const Compatibility = { okta: "okta" } as const;
export type Compatibility = (typeof Compatibility)[keyof typeof Compatibility];
const COMPATIBILITIES: readonly string[] = Object.values(Compatibility);

/** What the revoker stores per stream (NATS KV); `owner` is the receiver whose token made it. */
export interface StreamRecord {
  readonly stream_id: string;
  readonly owner: string;
  /** The owner's tenant when the stream was made (`*`: every tenant); absent only in streams stored before tenancy. */
  readonly tenant?: string;
  readonly iss: string;
  readonly aud: string;
  readonly events_requested: readonly string[];
  readonly delivery: {
    readonly method: DeliveryMethod;
    readonly endpoint_url: string;
    /** Write-only: used on every push, never returned by the API nor logged. */
    readonly authorization_header?: string;
  };
  readonly description?: string;
  /** Warden extension: how agents are named in `sub_id` (auto, iss_sub, complex, opaque). */
  readonly subject_format: SubjectFormat;
  /** Warden extension: a receiver's non-standard expectations (`okta`). */
  readonly compatibility?: Compatibility;
  readonly status: StreamStatus;
  readonly reason?: string;
  readonly subjects_added: readonly Subject[];
  readonly subjects_removed: readonly Subject[];
  readonly created_at: string;
  readonly updated_at: string;
  /** When `status` last changed: a paused stream's SETs do not age towards the dead letter. */
  readonly status_changed_at?: string;
  /** The receiver's last activity on this stream (SSF 1.0 `inactivity_timeout`), written coarsely. */
  readonly last_activity_at?: string;
  /** When the receiver last accepted a verification event (SSF 1.0 §8.1.4): a push's 202 or a poll's ack. */
  readonly last_verified_at?: string;
}

export interface StreamContext {
  readonly issuer: string;
  /** `aud` of the receiver's streams (configured per receiver). */
  readonly audience: string;
  readonly owner: string;
  /** The owner's tenant (`*`: all). */
  readonly tenant: string;
  readonly minVerificationIntervalSeconds: number;
  /** SSF `inactivity_timeout` every stream advertises; 0 or absent: none. */
  readonly inactivityTimeoutSeconds?: number;
  readonly nowIso: string;
  /** Transmitter-supplied poll URL of a stream (RFC 8936). */
  pollUrl(streamId: string): string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly err: "invalid_request";
      readonly description: string;
    };

const fail = (description: string): Parsed<never> => ({
  ok: false,
  err: "invalid_request",
  description,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `events_delivered`: what the stream asked for and Warden sends (SSF 1.0 §8.1.1). */
export function eventsDelivered(
  record: Pick<StreamRecord, "events_requested">,
): string[] {
  return record.events_requested.filter((type) =>
    (AGENT_EVENT_TYPES as readonly string[]).includes(type),
  );
}

/** The stream configuration as SSF 1.0 §8.1.1 names its fields (without the write-only header). */
export function streamConfiguration(
  record: StreamRecord,
  minVerificationIntervalSeconds: number,
  inactivityTimeoutSeconds = 0,
): Record<string, unknown> {
  return {
    stream_id: record.stream_id,
    iss: record.iss,
    aud: record.aud,
    events_supported: SUPPORTED_EVENT_TYPES,
    events_requested: record.events_requested,
    events_delivered: eventsDelivered(record),
    delivery: {
      method: record.delivery.method,
      endpoint_url: record.delivery.endpoint_url,
    },
    min_verification_interval: minVerificationIntervalSeconds,
    ...(inactivityTimeoutSeconds > 0
      ? { inactivity_timeout: inactivityTimeoutSeconds }
      : {}),
    ...(record.description === undefined
      ? {}
      : { description: record.description }),
    subject_format: record.subject_format,
    ...(record.compatibility === undefined
      ? {}
      : { compatibility: record.compatibility }),
  };
}

interface ReceiverFields {
  readonly events_requested: readonly string[];
  readonly delivery: StreamRecord["delivery"];
  readonly description: string | undefined;
  readonly subject_format: SubjectFormat;
  readonly compatibility: Compatibility | undefined;
}

/**
 * Reads the receiver-supplied fields. `partial` (PATCH) leaves out what the body leaves out;
 * otherwise (POST, PUT) missing fields take their defaults. Transmitter-supplied fields may
 * be echoed back unchanged but not changed (SSF 1.0 §8.1.1.3).
 */
function readReceiverFields(
  body: Record<string, unknown>,
  current: StreamRecord | undefined,
  context: StreamContext,
  streamId: string,
  partial: boolean,
): Parsed<ReceiverFields> {
  for (const [field, value] of [
    ["iss", current?.iss ?? context.issuer],
    ["aud", current?.aud ?? context.audience],
  ] as const) {
    if (body[field] !== undefined && body[field] !== value)
      return fail(`${field} is set by the transmitter and cannot change`);
  }
  let events = partial ? (current?.events_requested ?? []) : [];
  if (body["events_requested"] !== undefined) {
    const requested = body["events_requested"];
    if (
      !Array.isArray(requested) ||
      !requested.every((item) => typeof item === "string")
    )
      return fail("events_requested must be an array of event type URIs");
    events = [...new Set(requested)];
  }
  const mismatch = transmitterFieldMismatch(body, current, events, context);
  if (mismatch) return fail(mismatch);
  let description = partial ? current?.description : undefined;
  if (body["description"] !== undefined) {
    if (typeof body["description"] !== "string")
      return fail("description must be a string");
    description = body["description"];
  }
  let subjectFormat = partial
    ? (current?.subject_format ?? DEFAULT_SUBJECT_FORMAT)
    : DEFAULT_SUBJECT_FORMAT;
  if (body["subject_format"] !== undefined) {
    if (
      !(SUBJECT_FORMATS as readonly unknown[]).includes(body["subject_format"])
    )
      return fail(
        `subject_format must be one of ${SUBJECT_FORMATS.join(", ")}`,
      );
    subjectFormat = body["subject_format"] as SubjectFormat;
  }
  let compatibility = partial ? current?.compatibility : undefined;
  if (body["compatibility"] !== undefined) {
    if (!COMPATIBILITIES.includes(body["compatibility"] as string))
      return fail(`compatibility must be ${COMPATIBILITIES.join(" or ")}`);
    compatibility = body["compatibility"] as Compatibility;
  }
  let delivery = partial ? current?.delivery : undefined;
  if (body["delivery"] !== undefined || !partial) {
    const parsed = readDelivery(body["delivery"], context, streamId);
    if (!parsed.ok) return parsed;
    delivery = parsed.value;
  }
  if (!delivery) return fail("delivery is required");
  return {
    ok: true,
    value: {
      events_requested: events,
      delivery,
      description,
      subject_format: subjectFormat,
      compatibility,
    },
  };
}

const sameMembers = (given: unknown, expected: readonly string[]): boolean =>
  Array.isArray(given) &&
  given.every((item) => typeof item === "string") &&
  new Set(given).size === given.length &&
  given.length === expected.length &&
  expected.every((item) => given.includes(item));

/**
 * SSF 1.0 §8.1.1.3 / §8.1.1.4: a transmitter-supplied field in a request must match what the
 * transmitter would answer, else 400. `events_delivered` may echo either the stream as read
 * (GET, edit, PUT) or as it will be after this request.
 */
function transmitterFieldMismatch(
  body: Record<string, unknown>,
  current: StreamRecord | undefined,
  events: readonly string[],
  context: StreamContext,
): string | undefined {
  if (body["stream_id"] !== undefined && current === undefined)
    return "stream_id is set by the transmitter";
  if (
    body["events_supported"] !== undefined &&
    !sameMembers(body["events_supported"], SUPPORTED_EVENT_TYPES)
  )
    return "events_supported is set by the transmitter and does not match";
  const delivered = body["events_delivered"];
  if (
    delivered !== undefined &&
    !sameMembers(delivered, eventsDelivered({ events_requested: events })) &&
    !(current && sameMembers(delivered, eventsDelivered(current)))
  )
    return "events_delivered is set by the transmitter and does not match";
  if (
    body["min_verification_interval"] !== undefined &&
    body["min_verification_interval"] !== context.minVerificationIntervalSeconds
  )
    return `min_verification_interval is set by the transmitter (${context.minVerificationIntervalSeconds})`;
  const inactivity = context.inactivityTimeoutSeconds ?? 0;
  if (
    body["inactivity_timeout"] !== undefined &&
    (inactivity === 0 || body["inactivity_timeout"] !== inactivity)
  )
    return inactivity === 0
      ? "inactivity_timeout is set by the transmitter, which sets none"
      : `inactivity_timeout is set by the transmitter (${inactivity})`;
  return undefined;
}

function readDelivery(
  value: unknown,
  context: StreamContext,
  streamId: string,
): Parsed<StreamRecord["delivery"]> {
  // SSF 1.0: a missing delivery means poll, whose endpoint the transmitter supplies.
  const delivery =
    value === undefined ? { method: DeliveryMethod.poll } : value;
  if (!isRecord(delivery)) return fail("delivery must be an object");
  const method = delivery["method"];
  if (method === DeliveryMethod.poll) {
    // The poll endpoint is transmitter-supplied (SSF 1.0 §8.1.1): an echo must match.
    const pollUrl = context.pollUrl(streamId);
    if (
      delivery["endpoint_url"] !== undefined &&
      delivery["endpoint_url"] !== pollUrl
    )
      return fail(
        "delivery.endpoint_url of a poll stream is set by the transmitter",
      );
    return { ok: true, value: { method, endpoint_url: pollUrl } };
  }
  if (method !== DeliveryMethod.push)
    return fail(
      `delivery.method must be ${DeliveryMethod.push} or ${DeliveryMethod.poll}`,
    );
  const endpoint = delivery["endpoint_url"];
  if (typeof endpoint !== "string" || !URL.canParse(endpoint))
    return fail("delivery.endpoint_url must be a URL for push delivery");
  const authorization = delivery["authorization_header"];
  if (authorization !== undefined && typeof authorization !== "string")
    return fail("delivery.authorization_header must be a string");
  return {
    ok: true,
    value: {
      method,
      endpoint_url: endpoint,
      ...(authorization === undefined
        ? {}
        : { authorization_header: authorization }),
    },
  };
}

/** A new stream from a create request (POST). */
export function createStream(
  body: unknown,
  streamId: string,
  context: StreamContext,
): Parsed<StreamRecord> {
  if (!isRecord(body)) return fail("the body must be a JSON object");
  const fields = readReceiverFields(body, undefined, context, streamId, false);
  if (!fields.ok) return fields;
  return {
    ok: true,
    value: {
      stream_id: streamId,
      owner: context.owner,
      tenant: context.tenant,
      iss: context.issuer,
      aud: context.audience,
      ...withoutUndefined(fields.value),
      status: StreamStatus.enabled,
      subjects_added: [],
      subjects_removed: [],
      created_at: context.nowIso,
      updated_at: context.nowIso,
    },
  };
}

/** PATCH (`partial`) or PUT of an existing stream. */
export function changeStream(
  current: StreamRecord,
  body: Record<string, unknown>,
  context: StreamContext,
  partial: boolean,
): Parsed<StreamRecord> {
  const fields = readReceiverFields(
    body,
    current,
    context,
    current.stream_id,
    partial,
  );
  if (!fields.ok) return fields;
  const { description: _dropped, compatibility: _replaced, ...rest } = current;
  return {
    ok: true,
    value: {
      ...rest,
      ...withoutUndefined(fields.value),
      updated_at: context.nowIso,
    },
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined),
  ) as T;
}

/** A status update body (SSF 1.0 §8.1.2.2). */
export function readStatusUpdate(body: unknown): Parsed<{
  readonly status: StreamStatus;
  readonly reason: string | undefined;
}> {
  if (!isRecord(body)) return fail("the body must be a JSON object");
  const status = body["status"];
  if (typeof status !== "string" || !STATUSES.includes(status))
    return fail("status must be enabled, paused or disabled");
  const reason = body["reason"];
  if (reason !== undefined && typeof reason !== "string")
    return fail("reason must be a string");
  return { ok: true, value: { status: status as StreamStatus, reason } };
}

/**
 * The `reason` a stream-updated SET carries (SSF 1.0 §8.1.5): the receiver's own words, or
 * who changed it when it gave none.
 */
export function statusReason(
  status: StreamStatus,
  given: string | undefined,
  receiverId: string,
): string {
  return given !== undefined && given !== ""
    ? given
    : `status set to ${status} by receiver ${receiverId}`;
}

/**
 * Why a verification request is refused, if it is: SSF 1.0 §8.1.2 forbids transmitting on a
 * paused or disabled stream, so the verification SET would be sent while the stream is not
 * enabled. Refused (400) rather than held, so the receiver learns at once.
 */
export function verificationRefusal(record: StreamRecord): string | undefined {
  return record.status === StreamStatus.enabled
    ? undefined
    : `the stream is ${record.status}: enable it before asking for verification`;
}

/** The subject of an add/remove subject request (SSF 1.0 §8.1.3). */
export function readSubjectRequest(body: unknown): Parsed<Subject> {
  if (!isRecord(body)) return fail("the body must be a JSON object");
  const subject = body["subject"];
  const problem = subjectProblem(subject);
  if (problem) return fail(`subject: ${problem}`);
  if (body["verified"] !== undefined && typeof body["verified"] !== "boolean")
    return fail("verified must be a boolean");
  return { ok: true, value: subject as Subject };
}

export function addSubject(
  record: StreamRecord,
  subject: Subject,
  nowIso: string,
): StreamRecord {
  const key = subjectKey(subject);
  return {
    ...record,
    subjects_added: [
      ...record.subjects_added.filter((item) => subjectKey(item) !== key),
      subject,
    ],
    subjects_removed: record.subjects_removed.filter(
      (item) => subjectKey(item) !== key,
    ),
    updated_at: nowIso,
  };
}

export function removeSubject(
  record: StreamRecord,
  subject: Subject,
  nowIso: string,
): StreamRecord {
  const key = subjectKey(subject);
  return {
    ...record,
    subjects_added: record.subjects_added.filter(
      (item) => subjectKey(item) !== key,
    ),
    subjects_removed: [
      ...record.subjects_removed.filter((item) => subjectKey(item) !== key),
      subject,
    ],
    updated_at: nowIso,
  };
}

/**
 * Whether a stream gets events about an agent: never another tenant's (issue 16: receivers
 * belong to tenants); then a removed subject always wins; otherwise `default_subjects` ALL
 * sends everything and NONE only what was added (SSF 1.0 §8.1.3).
 */
export function streamCoversAgent(
  record: StreamRecord,
  agent: AgentRef,
  defaultSubjects: DefaultSubjects,
  issuer: SubjectIssuer,
): boolean {
  if (record.tenant !== ALL_TENANTS && record.tenant !== agent.tenant)
    return false;
  const names = (subject: Subject): boolean =>
    subjectNamesAgent(subject, agent, issuer);
  if (record.subjects_removed.some(names)) return false;
  return defaultSubjects === "ALL" || record.subjects_added.some(names);
}
