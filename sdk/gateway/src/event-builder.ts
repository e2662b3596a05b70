import { randomUUID } from "node:crypto";
import { actorChainFromClaims } from "./actor-chain.js";
import { checkAuditEvent, type AuditEventV1 } from "./audit-event.js";
import {
  GatewayConfigError,
  InvalidEventError,
  type FieldProblem,
} from "./errors.js";

/** The ingest's defaults (services/ingest): larger or further-ahead events are dead-lettered. */
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** What a gateway knows about one call; `schema`, `event_id` and `time` are filled in. */
export type EventInput = Omit<AuditEventV1, "schema" | "event_id" | "time"> & {
  event_id?: string;
  /** When the action happened; now by default. */
  time?: Date | string | number;
};

export interface BuildContext {
  /** Claims of the incoming token, already verified; RFC 8693 `act` gives the delegation chain. */
  readonly tokenClaims?: unknown;
}

export interface EventBuilderOptions {
  /** Tenant of every event unless the input names one. */
  readonly tenant?: string;
  /** `source.gateway` of every event unless the input names one. */
  readonly gateway?: string;
  /** Default 64 KiB, the ingest's limit. */
  readonly maxEventBytes?: number;
  /** Default 5 minutes, the ingest's limit. */
  readonly maxFutureSkewMs?: number;
  /** For tests: ids and the clock. */
  readonly newEventId?: () => string;
  readonly nowMs?: () => number;
}

export interface EventBuilder {
  /** A valid audit event v1, or an InvalidEventError naming every offending field. */
  build(input: EventInput, context?: BuildContext): AuditEventV1;
}

// Optional fields a caller set to undefined would fail the schema's type checks; drop them.
function withoutUndefined<T>(value: T): T {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return value;
  if (value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) copy[key] = withoutUndefined(field);
  }
  return copy as T;
}

function formatTime(
  time: Date | string | number | undefined,
  nowMs: number,
): string | FieldProblem {
  if (time === undefined) return new Date(nowMs).toISOString();
  if (typeof time === "string") return time;
  const date = typeof time === "number" ? new Date(time) : time;
  if (Number.isNaN(date.getTime()))
    return { path: "/time", message: "is not a valid date" };
  // RFC 3339 has four-digit years; toISOString would write ±YYYYYY outside them.
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999)
    return {
      path: "/time",
      message: "is outside the years 0000 to 9999 that RFC 3339 can write",
    };
  return date.toISOString();
}

export function createEventBuilder(
  options: EventBuilderOptions = {},
): EventBuilder {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const configProblems: { option: string; expected: string }[] = [];
  if (!Number.isInteger(maxEventBytes) || maxEventBytes < 256)
    configProblems.push({
      option: "maxEventBytes",
      expected: "an integer >= 256",
    });
  if (!Number.isFinite(maxFutureSkewMs) || maxFutureSkewMs < 0)
    configProblems.push({
      option: "maxFutureSkewMs",
      expected: "a number >= 0",
    });
  if (configProblems.length > 0) throw new GatewayConfigError(configProblems);
  const newEventId = options.newEventId ?? randomUUID;
  const nowMs = options.nowMs ?? Date.now;

  return Object.freeze({
    build(input: EventInput, context: BuildContext = {}): AuditEventV1 {
      const {
        time: inputTime,
        event_id: inputId,
        ...rest
      } = withoutUndefined(input);
      const now = nowMs();
      const time = formatTime(inputTime, now);
      if (typeof time !== "string") throw new InvalidEventError([time]);
      const chain =
        context.tokenClaims === undefined
          ? undefined
          : actorChainFromClaims(context.tokenClaims, input.agent.id);
      const tenant = rest.tenant ?? options.tenant;
      const gateway = rest.source?.gateway ?? options.gateway;
      const onBehalfOf = rest.on_behalf_of ?? chain?.onBehalfOf;
      const delegation = rest.delegation ?? chain?.delegation;
      const event: AuditEventV1 = {
        schema: "agent-audit/v1",
        event_id: inputId ?? newEventId(),
        time,
        ...rest,
        ...(tenant === undefined ? {} : { tenant }),
        ...(onBehalfOf === undefined ? {} : { on_behalf_of: onBehalfOf }),
        ...(delegation === undefined ? {} : { delegation }),
        ...(gateway === undefined
          ? {}
          : { source: { ...rest.source, gateway } }),
      };
      const checked = checkAuditEvent(event);
      if (!checked.ok) throw new InvalidEventError(checked.problems);
      if (Date.parse(time) > now + maxFutureSkewMs)
        throw new InvalidEventError([
          {
            path: "/time",
            message: `is more than ${maxFutureSkewMs} ms ahead of this clock`,
          },
        ]);
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (bytes > maxEventBytes)
        throw new InvalidEventError([
          {
            path: "/",
            message: `is ${bytes} bytes; the ingest refuses events over ${maxEventBytes}`,
          },
        ]);
      return event;
    },
  });
}
