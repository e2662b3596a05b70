import { SUPPORTED_SCHEMA } from "../accept.js";
import type { AuditEventV1 } from "@warden/shared";
import type { Sensitivity, Verb } from "./cloudtrail-actions.js";
import {
  MAPPED_FORMAT,
  SKIP_KIND,
  clip,
  quote,
  unmappable,
  type DecodedDocument,
  type DocumentMapper,
  type MapOutcome,
} from "./mapper.js";
import {
  OTLP_JSON,
  OTLP_PROTOBUF,
  SPAN_STATUS_ERROR,
  decodeTraceRequest,
  type AttributeValue,
  type OtlpSpan,
} from "./otlp-wire.js";

/**
 * OTLP spans of AI agents → audit event v1, following the OpenTelemetry GenAI and MCP
 * semantic conventions as pinned below (status Development: names may still change; the
 * attribute names are constants here and the table is in services/ingest/MAPPINGS.md).
 */
export const GENAI_SEMCONV =
  "semantic-conventions-genai v0.1.0 (GenAI spans, agent spans, MCP)";

/** `gen_ai.operation.name` values of the pinned conventions, and what each is to Warden. */
const OPERATIONS: ReadonlyMap<
  string,
  { readonly verb: Verb; readonly resourceType?: string }
> = new Map([
  ["execute_tool", { verb: "execute" as Verb }],
  ["invoke_agent", { verb: "delegate" as Verb }],
  ["create_agent", { verb: "admin" as Verb }],
  ["chat", { verb: "execute" as Verb, resourceType: "model" }],
  ["text_completion", { verb: "execute" as Verb, resourceType: "model" }],
  ["generate_content", { verb: "execute" as Verb, resourceType: "model" }],
  ["embeddings", { verb: "execute" as Verb, resourceType: "model" }],
  ["retrieval", { verb: "read" as Verb, resourceType: "data_source" }],
]);

/** MCP methods that are protocol housekeeping, not an action of the agent. */
const MCP_HOUSEKEEPING =
  /^(ping|notifications\/.*|logging\/setLevel|completion\/complete)$/;

/** A tool's leading word says what it does (`get_order`, `deleteFile`, `export_report`). */
const TOOL_VERBS: readonly (readonly [RegExp, Verb])[] = [
  [
    /^(get|list|read|search|find|fetch|query|lookup|describe|show|view|browse|retrieve|count|check)/i,
    "read",
  ],
  [/^(delete|remove|drop|destroy|purge|truncate|revoke)/i, "delete"],
  [/^(export|download|dump|backup|copy_out|share)/i, "export"],
  [
    /^(grant|admin|set_permission|add_role|assign_role|create_user|invite)/i,
    "admin",
  ],
  [
    /^(create|update|write|put|post|send|add|set|edit|modify|insert|upload|commit|push|merge|publish|comment|reply)/i,
    "write",
  ],
  [/^(run|exec|execute|invoke|call|eval|shell|bash|python)/i, "execute"],
];

function verbOfTool(tool: string, fallback: Verb): Verb {
  for (const [pattern, verb] of TOOL_VERBS) if (pattern.test(tool)) return verb;
  return fallback;
}

export interface OtlpMappingConfig {
  /** Span or resource attribute that names the credential (e.g. the gateway's token id); none: marked absent. */
  readonly credentialAttribute?: string | undefined;
  /** Resource attribute that names the tenant (with a bound credential it must match the credential's). */
  readonly tenantAttribute?: string | undefined;
  /** Glob over `action.name` or `resource.id` → sensitivity, first match wins; default `internal`. */
  readonly sensitivity: readonly {
    readonly pattern: RegExp;
    readonly sensitivity: Sensitivity;
  }[];
}

export const DEFAULT_OTLP_MAPPING: OtlpMappingConfig = Object.freeze({
  sensitivity: [],
});

// A blank value starts with white space (or is empty): only those are trimmed to find out,
// since text() runs a dozen times per span and trim() copies the string.
const LEADING_SPACE = /^\s/u;

function text(value: AttributeValue | undefined): string | undefined {
  if (typeof value === "string")
    return value === "" || (LEADING_SPACE.test(value) && value.trim() === "")
      ? undefined
      : value;
  if (typeof value === "number" || typeof value === "boolean")
    return String(value);
  return undefined;
}

function count(value: AttributeValue | undefined): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? value
    : undefined;
}

function attr(span: OtlpSpan, key: string): string | undefined {
  return text(span.attributes.get(key));
}

function named(
  id: string,
  name: string | undefined,
): { id: string; name?: string } {
  return name ? { id, name } : { id };
}

/**
 * Who acts: the span's own `gen_ai.agent.id` (or `.name`), else the nearest ancestor's in the
 * same export (an invoke_agent span names the agent whose tool calls it contains), else the
 * resource's `gen_ai.agent.id`, else the resource's `service.name` (the agent's process),
 * unless that is the SDK's `unknown_service` default. Children usually end, and so are
 * exported, before their invoke_agent span: put the agent on the resource or on every span
 * for one stable identity.
 */
function agentOf(
  span: OtlpSpan,
  byId: ReadonlyMap<string, OtlpSpan>,
): { id: string; name?: string } | undefined {
  for (
    let current: OtlpSpan | undefined = span, hops = 0;
    current && hops < 64;
    current = byId.get(current.parentSpanId), hops++
  ) {
    const id =
      attr(current, "gen_ai.agent.id") ?? attr(current, "gen_ai.agent.name");
    if (id) return named(id, attr(current, "gen_ai.agent.name"));
  }
  const resourceName = text(span.resource.get("gen_ai.agent.name"));
  const resourceId = text(span.resource.get("gen_ai.agent.id")) ?? resourceName;
  if (resourceId) return named(resourceId, resourceName);
  const service = text(span.resource.get("service.name"));
  return service && !service.startsWith("unknown_service")
    ? { id: service }
    : undefined;
}

/** The chain of agents above this span in the export (invoke_agent spans), down to `agentId`. */
function delegationOf(
  span: OtlpSpan,
  agentId: string,
  byId: ReadonlyMap<string, OtlpSpan>,
): string[] | undefined {
  // Most spans have no agent above them in the export: no array until one is found.
  let chain: string[] | undefined;
  for (
    let current = byId.get(span.parentSpanId), hops = 0;
    current && hops < 64;
    current = byId.get(current.parentSpanId), hops++
  ) {
    const id =
      attr(current, "gen_ai.agent.id") ?? attr(current, "gen_ai.agent.name");
    if (id && id !== agentId && id !== chain?.[0]) (chain ??= []).unshift(id);
  }
  return chain ? [...chain.slice(-31), agentId] : undefined;
}

interface SpanAction {
  readonly name: string;
  readonly verb: Verb;
  readonly resource?: { readonly id: string; readonly type: string };
}

function actionOf(span: OtlpSpan): SpanAction | MapOutcome {
  const method = attr(span, "mcp.method.name");
  const tool = attr(span, "gen_ai.tool.name");
  const resourceUri = attr(span, "mcp.resource.uri");
  if (method) {
    if (MCP_HOUSEKEEPING.test(method))
      return { kind: "skipped", skip: SKIP_KIND.unrelatedSpan };
    const resource = resourceUri
      ? { resource: { id: resourceUri, type: "mcp_resource" } }
      : {};
    if (method === "tools/call") {
      if (!tool)
        return unmappable(
          "/attributes/gen_ai.tool.name is missing on an MCP tools/call span",
        );
      return {
        name: `mcp:${tool}`,
        verb: verbOfTool(tool, "execute"),
        ...resource,
      };
    }
    const verb: Verb =
      method === "initialize"
        ? "auth"
        : /(\/list|\/get|\/read|\/subscribe)$/.test(method)
          ? "read"
          : "execute";
    return { name: `mcp:${method}`, verb, ...resource };
  }
  const operation = attr(span, "gen_ai.operation.name");
  if (!operation) return { kind: "skipped", skip: SKIP_KIND.unrelatedSpan };
  const known = OPERATIONS.get(operation);
  if (!known)
    return unmappable(
      `/attributes/gen_ai.operation.name ${quote(operation)} is not an operation of ${GENAI_SEMCONV}`,
    );
  if (operation === "execute_tool") {
    if (!tool)
      return unmappable(
        "/attributes/gen_ai.tool.name is missing on an execute_tool span",
      );
    return { name: `tool:${tool}`, verb: verbOfTool(tool, "execute") };
  }
  const model =
    attr(span, "gen_ai.request.model") ?? attr(span, "gen_ai.response.model");
  const dataSource = attr(span, "gen_ai.data_source.id");
  const target =
    known.resourceType === "model"
      ? model
      : known.resourceType === "data_source"
        ? dataSource
        : undefined;
  return {
    name: `gen_ai.${operation}`,
    verb: known.verb,
    ...(target && known.resourceType
      ? { resource: { id: target, type: known.resourceType } }
      : {}),
  };
}

const DENIED_ERROR =
  /^(401|403)$|unauthori[sz]ed|forbidden|permission|access.?denied|not.?allowed/i;

function outcomeOf(span: OtlpSpan): AuditEventV1["outcome"] {
  const errorType = attr(span, "error.type");
  const status = count(span.attributes.get("http.response.status_code"));
  if (
    (errorType && DENIED_ERROR.test(errorType)) ||
    status === 401 ||
    status === 403
  )
    return "denied";
  if (errorType || span.statusCode === SPAN_STATUS_ERROR) return "error";
  return "success";
}

/**
 * Token usage of an inference span (`gen_ai.usage.input_tokens|output_tokens`), for the
 * detector's spend baseline. A count that is not a whole non-negative number is left out (and
 * stays in the attributes as sent): a bad count must not cost the call its event. The
 * conventions define no cost attribute, so `usage.cost_usd` is never filled from OTLP.
 */
function usageOf(span: OtlpSpan): AuditEventV1["usage"] {
  const input = count(span.attributes.get("gen_ai.usage.input_tokens"));
  const output = count(span.attributes.get("gen_ai.usage.output_tokens"));
  if (input === undefined && output === undefined) return undefined;
  const usage: NonNullable<AuditEventV1["usage"]> = {};
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  return usage;
}

const PASSED_ATTRIBUTES = [
  "gen_ai.provider.name",
  "gen_ai.request.model",
  "gen_ai.response.model",
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.tool.type",
  "gen_ai.tool.call.id",
  "gen_ai.conversation.id",
  "mcp.method.name",
  "mcp.session.id",
  "mcp.protocol.version",
  "error.type",
] as const;

/** A number as JSON can carry it: NaN and the infinities (a double attribute may be any) as text. */
function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function attributesOf(
  span: OtlpSpan,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {
    "otel.span_name": clip(span.name, 256),
    "otel.span_kind": jsonNumber(span.kind),
    "otel.scope": clip(span.scope, 256),
  };
  for (const key of PASSED_ATTRIBUTES) {
    const value = span.attributes.get(key);
    if (typeof value === "string") out[key] = clip(value, 256);
    else if (typeof value === "number") out[key] = jsonNumber(value);
    else if (typeof value === "boolean") out[key] = value;
  }
  const service = text(span.resource.get("service.name"));
  if (service) out["service.name"] = clip(service, 256);
  return out;
}

// Dates beyond ±8.64e15 ms have no ISO form (toISOString throws): such a time is missing.
const MAX_DATE_MS = 8.64e15;
const DAY_MS = 86_400_000;

// toISOString was a tenth of the mapping's time; the spans of one export nearly always fall
// on one day, so that day's `YYYY-MM-DDT` is made once and only the time of day per span.
let cachedDay = NaN;
let cachedDayPrefix = "";

// "00".."999" once, so a time of day is four look-ups and one template.
const PADDED2 = Array.from({ length: 60 }, (_, n) =>
  String(n).padStart(2, "0"),
);
const PADDED3 = Array.from({ length: 1000 }, (_, n) =>
  String(n).padStart(3, "0"),
);

/** Whole milliseconds since the epoch → the ISO form toISOString gives, or missing. */
export function isoOf(ms: number): string | undefined {
  if (!(ms > 0 && ms <= MAX_DATE_MS)) return undefined;
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    cachedDayPrefix = iso.slice(0, iso.indexOf("T") + 1);
    cachedDay = day;
  }
  const inDay = ms - day * DAY_MS;
  const hours = PADDED2[Math.floor(inDay / 3_600_000)] as string;
  const minutes = PADDED2[Math.floor(inDay / 60_000) % 60] as string;
  const seconds = PADDED2[Math.floor(inDay / 1000) % 60] as string;
  return `${cachedDayPrefix}${hours}:${minutes}:${seconds}.${PADDED3[inDay % 1000] as string}Z`;
}

function sensitivityOf(
  config: OtlpMappingConfig,
  name: string,
  resourceId: string | undefined,
): Sensitivity {
  return (
    config.sensitivity.find(
      ({ pattern }) =>
        pattern.test(name) ||
        (resourceId !== undefined && pattern.test(resourceId)),
    )?.sensitivity ?? "internal"
  );
}

/** One span → its outcome; `byId` holds every span of the same export, for ancestry. */
export function mapSpan(
  span: OtlpSpan,
  byId: ReadonlyMap<string, OtlpSpan>,
  config: OtlpMappingConfig,
): MapOutcome {
  const action = actionOf(span);
  if ("kind" in action) return action;
  const agent = agentOf(span, byId);
  if (!agent)
    return unmappable(
      "/attributes/gen_ai.agent.id is missing on the span, its ancestors in the export and the resource (and service.name is unset)",
    );
  if (
    !/^[0-9a-f]{32}$/.test(span.traceId) ||
    !/^[0-9a-f]{16}$/.test(span.spanId)
  )
    return unmappable("/traceId or /spanId is not a valid 16- or 8-byte id");
  const time = isoOf(span.startMs);
  if (!time) return unmappable("/startTimeUnixNano is missing or zero");
  const credentialId = config.credentialAttribute
    ? (attr(span, config.credentialAttribute) ??
      text(span.resource.get(config.credentialAttribute)))
    : undefined;
  const tenant = config.tenantAttribute
    ? text(span.resource.get(config.tenantAttribute))
    : undefined;
  const instance = text(span.resource.get("service.instance.id"));
  const kind = agent.name ?? text(span.resource.get("service.name"));
  const session =
    attr(span, "gen_ai.conversation.id") ?? attr(span, "mcp.session.id");
  const onBehalfOf = attr(span, "enduser.id");
  const ip = attr(span, "client.address");
  const userAgent = attr(span, "user_agent.original");
  const delegation = delegationOf(span, agent.id, byId);
  const { durationMs } = span;
  // Built field by field, in the event's key order, rather than from spreads: one object per
  // field, not two, for each of up to thousands of spans per request.
  const event = {
    schema: SUPPORTED_SCHEMA,
    event_id: `otel:${span.traceId}${span.spanId}`,
    time,
  } as AuditEventV1;
  if (tenant) event.tenant = clip(tenant, 128);
  const actor: AuditEventV1["agent"] = { id: clip(agent.id, 256) };
  if (kind) actor.kind = clip(kind, 128);
  if (instance) actor.instance = clip(instance, 256);
  event.agent = actor;
  if (onBehalfOf) event.on_behalf_of = clip(onBehalfOf, 256);
  if (delegation) event.delegation = delegation.map((id) => clip(id, 256));
  // OTel carries no credential: the configured attribute, else one marked absent per agent.
  event.credential = {
    id: clip(credentialId || `absent:${agent.id}`, 256),
    type: "other",
  };
  const done: AuditEventV1["action"] = {
    name: clip(action.name, 256),
    verb: action.verb,
  };
  const target = attr(span, "server.address");
  if (target) done.target = clip(target, 2048);
  event.action = done;
  const sensitivity = sensitivityOf(config, action.name, action.resource?.id);
  event.resource = action.resource
    ? {
        id: clip(action.resource.id, 512),
        type: action.resource.type,
        sensitivity,
      }
    : { sensitivity };
  event.outcome = outcomeOf(span);
  const usage = usageOf(span);
  if (usage) event.usage = usage;
  if (durationMs !== undefined) event.duration_ms = durationMs;
  if (ip || userAgent) {
    const source: NonNullable<AuditEventV1["source"]> = {};
    if (ip) source.ip = clip(ip, 64);
    if (userAgent) source.user_agent = clip(userAgent, 512);
    event.source = source;
  }
  if (session) event.session_id = clip(session, 256);
  event.trace_id = span.traceId;
  const attributes = attributesOf(span);
  if (!credentialId) attributes["otel.credential_absent"] = true;
  event.attributes = attributes;
  // Every field above is typed, clipped and from closed vocabularies: see BuiltEvent.conforms
  // and the hostile-span test that holds this mapper to it.
  return { kind: "event", event, conforms: true };
}

/** `POST /v1/traces`: OTLP/HTTP, protobuf or JSON. */
export function otlpDocumentMapper(
  config: OtlpMappingConfig = DEFAULT_OTLP_MAPPING,
): DocumentMapper {
  return {
    format: MAPPED_FORMAT.otlp,
    spec: GENAI_SEMCONV,
    contentTypes: [OTLP_PROTOBUF, OTLP_JSON],
    decode(body, contentType): DecodedDocument {
      const decoded = decodeTraceRequest(body, contentType);
      if (!decoded.ok) return decoded;
      const byId = new Map<string, OtlpSpan>();
      for (const span of decoded.spans) byId.set(span.spanId, span);
      return {
        ok: true,
        records: decoded.spans.map((span) => ({
          outcome: mapSpan(span, byId, config),
          raw: span.raw,
        })),
      };
    },
  };
}

const SENSITIVITIES: readonly Sensitivity[] = [
  "public",
  "internal",
  "confidential",
  "restricted",
];

/** A glob (`*` any run of characters) as an anchored regular expression. */
function globPattern(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export const OTLP_SENSITIVITY_FORMAT =
  "<glob>=<public|internal|confidential|restricted>,… (globs over action names such as tool:delete_* or resource ids)";

/** `tool:delete_*=restricted,mcp:*=confidential` → rules, first match wins. Throws naming the bad entry. */
export function parseSensitivityRules(
  input: string,
): OtlpMappingConfig["sensitivity"] {
  return input
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry, index) => {
      const at = entry.lastIndexOf("=");
      const glob = entry.slice(0, at).trim();
      const sensitivity = entry.slice(at + 1).trim() as Sensitivity;
      if (at <= 0 || glob === "" || !SENSITIVITIES.includes(sensitivity))
        throw new Error(`entry ${index + 1} is not ${OTLP_SENSITIVITY_FORMAT}`);
      return { pattern: globPattern(glob), sensitivity };
    });
}
