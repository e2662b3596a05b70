import protobuf from "protobufjs";

/**
 * OTLP/HTTP trace bodies (OTLP 1.x, `opentelemetry.proto.collector.trace.v1`) decoded into one
 * plain span model, from protobuf (`application/x-protobuf`) or the OTLP JSON encoding
 * (`application/json`: lowerCamelCase fields, hex trace and span ids, 64-bit ints as strings).
 * protobufjs does the wire decoding from a reflection descriptor of the messages Warden reads
 * (field numbers as the OTLP protocol defines them); fields it does not list are skipped, as
 * protobuf requires, so later OTLP versions still decode.
 */
const KEY_VALUE = {
  key: { type: "string", id: 1 },
  value: { type: "AnyValue", id: 2 },
};
const DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: {
            resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 },
          },
        },
        ExportTraceServiceResponse: {
          fields: {
            partialSuccess: { type: "ExportTracePartialSuccess", id: 1 },
          },
        },
        // google.rpc.Status: the body of an OTLP/HTTP error answer.
        RpcStatus: {
          fields: {
            code: { type: "int32", id: 1 },
            message: { type: "string", id: 2 },
          },
        },
        ExportTracePartialSuccess: {
          fields: {
            rejectedSpans: { type: "int64", id: 1 },
            errorMessage: { type: "string", id: 2 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: "Resource", id: 1 },
            scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
          },
        },
        Resource: {
          fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } },
        },
        ScopeSpans: {
          fields: {
            scope: { type: "InstrumentationScope", id: 1 },
            spans: { rule: "repeated", type: "Span", id: 2 },
          },
        },
        InstrumentationScope: {
          fields: {
            name: { type: "string", id: 1 },
            version: { type: "string", id: 2 },
          },
        },
        Span: {
          fields: {
            traceId: { type: "bytes", id: 1 },
            spanId: { type: "bytes", id: 2 },
            parentSpanId: { type: "bytes", id: 4 },
            name: { type: "string", id: 5 },
            kind: { type: "int32", id: 6 },
            startTimeUnixNano: { type: "fixed64", id: 7 },
            endTimeUnixNano: { type: "fixed64", id: 8 },
            attributes: { rule: "repeated", type: "KeyValue", id: 9 },
            status: { type: "Status", id: 15 },
          },
        },
        Status: {
          fields: {
            message: { type: "string", id: 2 },
            code: { type: "int32", id: 3 },
          },
        },
        KeyValue: { fields: KEY_VALUE },
        KeyValueList: {
          fields: { values: { rule: "repeated", type: "KeyValue", id: 1 } },
        },
        ArrayValue: {
          fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } },
        },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                "stringValue",
                "boolValue",
                "intValue",
                "doubleValue",
                "arrayValue",
                "kvlistValue",
                "bytesValue",
              ],
            },
          },
          fields: {
            stringValue: { type: "string", id: 1 },
            boolValue: { type: "bool", id: 2 },
            intValue: { type: "int64", id: 3 },
            doubleValue: { type: "double", id: 4 },
            arrayValue: { type: "ArrayValue", id: 5 },
            kvlistValue: { type: "KeyValueList", id: 6 },
            bytesValue: { type: "bytes", id: 7 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);
const RequestType = root.lookupType("otlp.ExportTraceServiceRequest");
const ResponseType = root.lookupType("otlp.ExportTraceServiceResponse");
const StatusType = root.lookupType("otlp.RpcStatus");
const SpanType = root.lookupType("otlp.Span");

/** gRPC code INVALID_ARGUMENT: what OTLP/HTTP puts in the Status of a 400. */
const INVALID_ARGUMENT = 3;

/** The body of a 400 answer (OTLP/HTTP "Failures"): a google.rpc.Status in the request's encoding. */
export function encodeBadRequest(
  message: string,
  contentType: string,
): Uint8Array | string {
  if (!isProtobuf(contentType))
    return JSON.stringify({ code: INVALID_ARGUMENT, message });
  return StatusType.encode(
    StatusType.fromObject({ code: INVALID_ARGUMENT, message }),
  ).finish();
}

export type AttributeValue =
  string | number | boolean | readonly AttributeValue[] | null;
export type Attributes = ReadonlyMap<string, AttributeValue>;

/** A span as Warden reads it, whichever encoding it came in. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Attributes;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly resource: Attributes;
  readonly scope: string;
  /** The span as received, re-encoded as OTLP JSON for a dead letter. */
  readonly raw: () => Buffer;
}

export const SPAN_STATUS_ERROR = 2;

type Loose = Record<string, unknown>;

function field(
  object: Loose | undefined,
  camel: string,
  snake: string,
): unknown {
  return object?.[camel] ?? object?.[snake];
}

function list(value: unknown): Loose[] {
  return Array.isArray(value)
    ? (value.filter((v) => typeof v === "object" && v !== null) as Loose[])
    : [];
}

function anyValue(value: Loose | undefined): AttributeValue {
  if (!value) return null;
  const s = field(value, "stringValue", "string_value");
  if (typeof s === "string") return s;
  const b = field(value, "boolValue", "bool_value");
  if (typeof b === "boolean") return b;
  const i = field(value, "intValue", "int_value");
  if (typeof i === "string" || typeof i === "number") return Number(i);
  const d = field(value, "doubleValue", "double_value");
  if (typeof d === "number" || typeof d === "string") return Number(d);
  const array = field(value, "arrayValue", "array_value") as Loose | undefined;
  if (array) return list(array["values"]).map(anyValue);
  const kv = field(value, "kvlistValue", "kvlist_value") as Loose | undefined;
  if (kv) return JSON.stringify(Object.fromEntries(attributes(kv["values"])));
  const bytes = field(value, "bytesValue", "bytes_value");
  if (typeof bytes === "string") return bytes;
  return null;
}

function attributes(value: unknown): Map<string, AttributeValue> {
  const map = new Map<string, AttributeValue>();
  for (const entry of list(value))
    if (typeof entry["key"] === "string")
      map.set(entry["key"], anyValue(entry["value"] as Loose | undefined));
  return map;
}

function nanos(value: unknown): bigint {
  try {
    return typeof value === "string" || typeof value === "number"
      ? BigInt(value)
      : 0n;
  } catch {
    return 0n;
  }
}

function hexId(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}

/** A dead letter's value: the span (ids as hex) with its resource's attributes. */
function rawSpan(
  span: Loose,
  resource: Attributes,
  ids: () => OtlpSpan,
): Buffer {
  const { traceId, spanId, parentSpanId } = ids();
  return Buffer.from(
    JSON.stringify({
      resource: Object.fromEntries(resource),
      span: { ...span, traceId, spanId, parentSpanId },
    }),
  );
}

/** The OTLP JSON encoding (hex ids, 64-bit ints as strings) → spans. */
function spansOf(request: Loose): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const resourceSpans of list(
    field(request, "resourceSpans", "resource_spans"),
  )) {
    const resource = attributes(
      (resourceSpans["resource"] as Loose | undefined)?.["attributes"],
    );
    for (const scopeSpans of list(
      field(resourceSpans, "scopeSpans", "scope_spans"),
    )) {
      const scopeName = (scopeSpans["scope"] as Loose | undefined)?.["name"];
      const scope = typeof scopeName === "string" ? scopeName : "";
      for (const span of list(scopeSpans["spans"])) {
        const status = span["status"] as Loose | undefined;
        const out: OtlpSpan = {
          traceId: hexId(field(span, "traceId", "trace_id")),
          spanId: hexId(field(span, "spanId", "span_id")),
          parentSpanId: hexId(field(span, "parentSpanId", "parent_span_id")),
          name: typeof span["name"] === "string" ? span["name"] : "",
          kind: Number(span["kind"] ?? 0),
          startNs: nanos(
            field(span, "startTimeUnixNano", "start_time_unix_nano"),
          ),
          endNs: nanos(field(span, "endTimeUnixNano", "end_time_unix_nano")),
          attributes: attributes(span["attributes"]),
          statusCode: Number(status?.["code"] ?? 0),
          statusMessage:
            typeof status?.["message"] === "string" ? status["message"] : "",
          resource,
          scope,
          raw: () => rawSpan(span, resource, () => out),
        };
        spans.push(out);
      }
    }
  }
  return spans;
}

/**
 * The protobuf path reads protobufjs's decoded messages directly rather than through
 * `toObject` (which re-encodes ids as base64 and 64-bit ints as strings, per span): that
 * conversion was most of the cost of `POST /v1/traces`. A field counts as present when the
 * decoder set it on the message (an own property), as `toObject` with `defaults: false` sees it.
 */
type Message = Record<string, unknown>;

function has(message: Message, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, key);
}

function messages(value: unknown): Message[] {
  return Array.isArray(value) ? (value as Message[]) : [];
}

function bytesOf(value: unknown): Buffer | undefined {
  return value instanceof Uint8Array
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : undefined;
}

/** A protobufjs 64-bit value (a Long, or a number without the long package) → bigint. */
function wireBigint(value: unknown, unsigned: boolean): bigint {
  if (typeof value === "number")
    return Number.isInteger(value) ? BigInt(value) : 0n;
  if (typeof value !== "object" || value === null) return 0n;
  const { low, high } = value as { low: number; high: number };
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

function wireValue(value: Message | null | undefined): AttributeValue {
  if (!value) return null;
  if (has(value, "stringValue")) return value["stringValue"] as string;
  if (has(value, "boolValue")) return value["boolValue"] as boolean;
  if (has(value, "intValue"))
    return Number(wireBigint(value["intValue"], false));
  if (has(value, "doubleValue")) return value["doubleValue"] as number;
  if (has(value, "arrayValue") && value["arrayValue"])
    return messages((value["arrayValue"] as Message)["values"]).map(wireValue);
  if (has(value, "kvlistValue") && value["kvlistValue"])
    return JSON.stringify(
      Object.fromEntries(
        wireAttributes((value["kvlistValue"] as Message)["values"]),
      ),
    );
  if (has(value, "bytesValue"))
    return bytesOf(value["bytesValue"])?.toString("base64") ?? null;
  return null;
}

function wireAttributes(value: unknown): Map<string, AttributeValue> {
  const map = new Map<string, AttributeValue>();
  for (const entry of messages(value))
    if (has(entry, "key"))
      map.set(
        entry["key"] as string,
        wireValue(entry["value"] as Message | null),
      );
  return map;
}

function wireHex(value: unknown): string {
  return bytesOf(value)?.toString("hex") ?? "";
}

const TO_OBJECT = {
  longs: String,
  bytes: String,
  defaults: false,
  arrays: true,
} as const;

function wireSpan(
  span: Message,
  resource: Attributes,
  scope: string,
): OtlpSpan {
  const status = span["status"] as Message | null;
  const out: OtlpSpan = {
    traceId: wireHex(span["traceId"]),
    spanId: wireHex(span["spanId"]),
    parentSpanId: wireHex(span["parentSpanId"]),
    name: (span["name"] as string | undefined) ?? "",
    kind: Number(span["kind"] ?? 0),
    startNs: wireBigint(span["startTimeUnixNano"], true),
    endNs: wireBigint(span["endTimeUnixNano"], true),
    attributes: wireAttributes(span["attributes"]),
    statusCode: Number(status?.["code"] ?? 0),
    statusMessage: (status?.["message"] as string | undefined) ?? "",
    resource,
    scope,
    // Only a dead letter needs the OTLP JSON form: converted then, for that span alone.
    raw: () =>
      rawSpan(
        SpanType.toObject(span as unknown as protobuf.Message, TO_OBJECT),
        resource,
        () => out,
      ),
  };
  return out;
}

function wireSpans(request: Message): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const resourceSpans of messages(request["resourceSpans"])) {
    const resource = wireAttributes(
      (resourceSpans["resource"] as Message | null)?.["attributes"],
    );
    for (const scopeSpans of messages(resourceSpans["scopeSpans"])) {
      const scope =
        ((scopeSpans["scope"] as Message | null)?.["name"] as
          string | undefined) ?? "";
      for (const span of messages(scopeSpans["spans"]))
        spans.push(wireSpan(span, resource, scope));
    }
  }
  return spans;
}

export type DecodedSpans =
  | { readonly ok: true; readonly spans: OtlpSpan[] }
  | { readonly ok: false; readonly detail: string };

export const OTLP_PROTOBUF = "application/x-protobuf";
export const OTLP_JSON = "application/json";

export function isProtobuf(contentType: string): boolean {
  return contentType.startsWith(OTLP_PROTOBUF);
}

/** An ExportTraceServiceRequest body → its spans, or why it is not one. */
export function decodeTraceRequest(
  body: Buffer,
  contentType: string,
): DecodedSpans {
  if (isProtobuf(contentType)) {
    try {
      const message = RequestType.decode(body) as unknown as Message;
      return { ok: true, spans: wireSpans(message) };
    } catch (error) {
      return {
        ok: false,
        detail: `body is not an OTLP ExportTraceServiceRequest (protobuf): ${error instanceof Error ? error.message : "undecodable"}`,
      };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return {
      ok: false,
      detail: `body is not JSON: ${error instanceof Error ? error.message : "unparseable"}`,
    };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return {
      ok: false,
      detail: "body is not an OTLP ExportTraceServiceRequest (JSON object)",
    };
  return { ok: true, spans: spansOf(parsed as Loose) };
}

/** The ExportTraceServiceResponse, in the request's encoding (OTLP/HTTP: partial success). */
export function encodeTraceResponse(
  rejectedSpans: number,
  errorMessage: string,
  contentType: string,
): Uint8Array | string {
  const partialSuccess =
    rejectedSpans > 0 || errorMessage !== ""
      ? { rejectedSpans, errorMessage }
      : undefined;
  if (!isProtobuf(contentType))
    return JSON.stringify(
      partialSuccess
        ? {
            partialSuccess: {
              rejectedSpans: String(rejectedSpans),
              errorMessage,
            },
          }
        : {},
    );
  return ResponseType.encode(
    ResponseType.fromObject(partialSuccess ? { partialSuccess } : {}),
  ).finish();
}
