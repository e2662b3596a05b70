import { AGENT_EVENT_TYPES, SHORT_EVENT_NAMES } from "./event-types.js";
import { UsageError } from "../api-client.js";

/** What `warden receivers add|update` turn into SSF 1.0 stream configuration requests (§8.1.1). */
export const DeliveryMethod = {
  push: "urn:ietf:rfc:8935",
  poll: "urn:ietf:rfc:8936",
} as const;

export const STREAM_STATUSES = ["enabled", "paused", "disabled"] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** Warden's extension field: how agents are named in `sub_id`. */
export const SUBJECT_FORMATS = [
  "auto",
  "iss_sub",
  "complex",
  "opaque",
] as const;

/** Options of `add` and `update` as commander hands them over (the header already read from its variable). */
export interface StreamOptions {
  readonly push?: string;
  readonly poll?: boolean;
  readonly authorization?: string;
  readonly events?: string;
  readonly description?: string;
  readonly audience?: string;
  readonly subjectFormat?: string;
}

export type Delivery =
  | { readonly method: typeof DeliveryMethod.poll }
  | {
      readonly method: typeof DeliveryMethod.push;
      readonly endpoint_url: string;
      readonly authorization_header?: string;
    };

/**
 * `--events`: comma-separated short names (`session-revoked`) or full URIs, or `all` for
 * every agent event Warden sends. Duplicates are dropped, order is kept.
 */
export function parseEventTypes(text: string): string[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0)
    throw new UsageError(
      `--events needs at least one event type: all, or ${SHORT_EVENT_NAMES.join(", ")}`,
    );
  const uris = items.flatMap((item) => {
    if (item === "all") return Object.values(AGENT_EVENT_TYPES);
    const known = AGENT_EVENT_TYPES[item];
    if (known) return [known];
    // A full URI names an event type this CLI does not know by name; the revoker decides.
    if (/^[a-z][a-z0-9+.-]*:\S+$/iu.test(item)) return [item];
    throw new UsageError(
      `--events: unknown event type "${item}"; use all, ${SHORT_EVENT_NAMES.join(", ")} or a full URI`,
    );
  });
  return [...new Set(uris)];
}

export function parseStatus(text: string): StreamStatus {
  const status = STREAM_STATUSES.find((candidate) => candidate === text);
  if (!status)
    throw new UsageError(
      `status must be ${STREAM_STATUSES.join(", ")}, got "${text}"`,
    );
  return status;
}

/** Stream ids are opaque to receivers (SSF 1.0 §8.1.1); only what cannot be one is refused here. */
export function checkStreamId(text: string): string {
  if (!/^[\x21-\x7e]{1,256}$/u.test(text))
    throw new UsageError(
      `"${text}" is not a stream id (printable characters, no spaces)`,
    );
  return text;
}

function readDelivery(options: StreamOptions): Delivery | undefined {
  if (options.push !== undefined && options.poll)
    throw new UsageError("give --push <url> or --poll, not both");
  if (options.authorization !== undefined && options.push === undefined)
    throw new UsageError(
      "--authorization-env goes with --push (poll requests carry your own token)",
    );
  if (options.poll) return { method: DeliveryMethod.poll };
  if (options.push === undefined) return undefined;
  const url = URL.canParse(options.push) ? new URL(options.push) : undefined;
  if (!url || !["https:", "http:"].includes(url.protocol))
    throw new UsageError(
      `--push needs an https:// (or allowed http://) URL, got "${options.push}"`,
    );
  if (url.username !== "" || url.password !== "")
    throw new UsageError(
      "--push: put credentials in --authorization-env, not in the URL",
    );
  return {
    method: DeliveryMethod.push,
    endpoint_url: options.push,
    ...(options.authorization === undefined
      ? {}
      : { authorization_header: options.authorization }),
  };
}

function receiverFields(options: StreamOptions): Record<string, unknown> {
  if (
    options.subjectFormat !== undefined &&
    !(SUBJECT_FORMATS as readonly string[]).includes(options.subjectFormat)
  )
    throw new UsageError(
      `--subject-format must be ${SUBJECT_FORMATS.join(", ")}, got "${options.subjectFormat}"`,
    );
  const delivery = readDelivery(options);
  return {
    ...(delivery ? { delivery } : {}),
    ...(options.events === undefined
      ? {}
      : { events_requested: parseEventTypes(options.events) }),
    ...(options.description === undefined
      ? {}
      : { description: options.description }),
    // `aud` is transmitter-supplied (SSF 1.0 §8.1.1): sent only so the revoker checks it.
    ...(options.audience === undefined ? {} : { aud: options.audience }),
    ...(options.subjectFormat === undefined
      ? {}
      : { subject_format: options.subjectFormat }),
  };
}

/** The body of a create request (POST): push or poll must be chosen; events default to all. */
export function createStreamRequest(
  options: StreamOptions,
): Record<string, unknown> {
  if (options.push === undefined && !options.poll)
    throw new UsageError("choose a delivery: --push <url> or --poll");
  return receiverFields({ events: "all", ...options });
}

/**
 * The body of a replace request (PUT, SSF 1.0 §8.1.1.4): every receiver-supplied field, so
 * what is not given is deleted (events default to all, as on create).
 */
export function replaceStreamRequest(
  streamId: string,
  options: StreamOptions,
): Record<string, unknown> {
  return {
    stream_id: checkStreamId(streamId),
    ...createStreamRequest(options),
  };
}

/** The body of an update request (PATCH): only what was given changes. */
export function updateStreamRequest(
  streamId: string,
  options: StreamOptions,
): Record<string, unknown> {
  const fields = receiverFields(options);
  if (Object.keys(fields).length === 0)
    throw new UsageError(
      "nothing to change: give --push, --poll, --events, --description, --subject-format or --audience",
    );
  return { stream_id: checkStreamId(streamId), ...fields };
}

/** Options of `subjects add|remove`. */
export interface SubjectOptions {
  readonly agent?: string;
  readonly tenant?: string;
  readonly subject?: string;
}

/**
 * The subject of an add / remove subject request (SSF 1.0 §8.1.3, RFC 9493): an agent
 * (opaque id), a whole tenant (complex, tenant member), an agent within a tenant (complex,
 * both members), or any subject identifier given as JSON.
 */
export function subjectFromOptions(
  options: SubjectOptions,
): Record<string, unknown> {
  if (options.subject !== undefined) {
    if (options.agent !== undefined || options.tenant !== undefined)
      throw new UsageError("give --subject alone, or --agent and/or --tenant");
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.subject);
    } catch {
      throw new UsageError(
        '--subject must be JSON, e.g. \'{"format":"opaque","id":"agent-7"}\'',
      );
    }
    if (
      typeof parsed !== "object" ||
      parsed === null ||
      Array.isArray(parsed) ||
      typeof (parsed as Record<string, unknown>)["format"] !== "string"
    )
      throw new UsageError(
        "--subject must be a JSON object with a string format (RFC 9493)",
      );
    return parsed as Record<string, unknown>;
  }
  const opaque = (id: string) => ({ format: "opaque", id });
  if (options.agent !== undefined && options.tenant !== undefined)
    return {
      format: "complex",
      user: opaque(options.agent),
      tenant: opaque(options.tenant),
    };
  if (options.agent !== undefined) return opaque(options.agent);
  if (options.tenant !== undefined)
    return { format: "complex", tenant: opaque(options.tenant) };
  throw new UsageError("name the subject: --agent, --tenant or --subject");
}
