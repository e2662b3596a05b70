import protobuf from "protobufjs";

/**
 * OTLP/HTTP trace bodies (OTLP 1.x, `opentelemetry.proto.collector.trace.v1`) decoded into one
 * plain span model, from protobuf (`application/x-protobuf`) or the OTLP JSON encoding
 * (`application/json`: lowerCamelCase fields, hex trace and span ids, 64-bit ints as strings).
 * A request is read field by field with protobufjs's Reader (below); the reflection descriptor
 * here serves the rest: a dead-lettered span's OTLP JSON form, the response and error bodies
 * (field numbers as the OTLP protocol defines them).
 */
const KEY_VALUE = {
  key: { type: "string", id: 1 },
  value: { type: "AnyValue", id: 2 },
};
const DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
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
  /** Start, whole milliseconds since the epoch (floor); 0 when missing. */
  readonly startMs: number;
  /** End − start in milliseconds, sub-millisecond part kept; undefined unless the end is later. */
  readonly durationMs: number | undefined;
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

/**
 * OTLP times are uint64 nanoseconds; they are kept as their two uint32 halves and turned into
 * milliseconds with doubles, exactly (2^32 ns = 4294 ms + 967296 ns, and each product stays
 * below 2^53), with no BigInt per span.
 */
interface Nanos {
  readonly high: number;
  readonly low: number;
}
const NO_TIME: Nanos = { high: 0, low: 0 };

function wholeMs(high: number, low: number): number {
  return high * 4294 + Math.floor((high * 967_296 + low) / 1e6);
}

function durationMs(start: Nanos, end: Nanos): number | undefined {
  return durationOf(start.high, start.low, end.high, end.low);
}

function durationOf(
  startHigh: number,
  startLow: number,
  endHigh: number,
  endLow: number,
): number | undefined {
  const ns = (endHigh - startHigh) * 4_294_967_296 + (endLow - startLow);
  return ns > 0 ? ns / 1e6 : undefined;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** The JSON encoding's time (a decimal string, or a number) → its halves; missing if not a uint64. */
function nanos(value: unknown): Nanos {
  let ns: bigint;
  try {
    if (typeof value !== "string" && typeof value !== "number") return NO_TIME;
    ns = BigInt(value);
  } catch {
    return NO_TIME;
  }
  if (ns <= 0n || ns > UINT64_MAX) return NO_TIME;
  return { high: Number(ns >> 32n), low: Number(ns & 0xffff_ffffn) };
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
        const start = nanos(
          field(span, "startTimeUnixNano", "start_time_unix_nano"),
        );
        const end = nanos(field(span, "endTimeUnixNano", "end_time_unix_nano"));
        const out: OtlpSpan = {
          traceId: hexId(field(span, "traceId", "trace_id")),
          spanId: hexId(field(span, "spanId", "span_id")),
          parentSpanId: hexId(field(span, "parentSpanId", "parent_span_id")),
          name: typeof span["name"] === "string" ? span["name"] : "",
          kind: Number(span["kind"] ?? 0),
          startMs: wholeMs(start.high, start.low),
          durationMs: durationMs(start, end),
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
 * The protobuf path walks the wire with protobufjs's Reader straight into spans, no message
 * objects in between: the decoded messages cost more than the rest of `POST /v1/traces`
 * (protobufjs sets each AnyValue's oneof by deleting its other members, which turns every
 * value into a slow dictionary object, then all of it is garbage). Field numbers and wire
 * types are OTLP's; a field with an unexpected wire type or number is skipped, as protobuf
 * requires, so later OTLP versions still decode. Within a oneof the last member wins.
 */
const WIRE = { varint: 0, fixed64: 1, len: 2, fixed32: 5 } as const;

/** The end of the length-delimited field at the reader's position, inside `parentEnd`. */
function lenEnd(reader: protobuf.Reader, parentEnd: number): number {
  const end = reader.uint32() + reader.pos;
  if (end > parentEnd) throw new RangeError("a field runs past its message");
  return end;
}

/** The fields of one message up to `end`: `field(number, wireType)` reads or skips each. */
function fields(
  reader: protobuf.Reader,
  end: number,
  field: (number: number, wireType: number) => void,
): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    field(tag >>> 3, tag & 7);
  }
  atEnd(reader, end);
}

/** A message's last field must end exactly where the message does. */
function atEnd(reader: protobuf.Reader, end: number): void {
  if (reader.pos !== end) throw new RangeError("a field runs past its message");
}

function skip(reader: protobuf.Reader, wireType: number): void {
  reader.skipType(wireType);
}

function longNumber(value: unknown): number {
  if (typeof value === "number") return value;
  const { low, high } = value as { low: number; high: number };
  return high * 4294967296 + (low >>> 0);
}

// The three readers below run for every attribute of every span: they loop over the tags
// themselves instead of calling `fields` with a closure, which allocated a context per call
// and was a fifth of the decoding's garbage.
function readAnyValue(reader: protobuf.Reader, end: number): AttributeValue {
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number === 1 && wireType === WIRE.len) value = reader.string();
    else if (number === 2 && wireType === WIRE.varint) value = reader.bool();
    else if (number === 3 && wireType === WIRE.varint)
      value = longNumber(reader.int64());
    else if (number === 4 && wireType === WIRE.fixed64) value = reader.double();
    else if (number === 5 && wireType === WIRE.len) {
      const items: AttributeValue[] = [];
      const arrayEnd = lenEnd(reader, end);
      fields(reader, arrayEnd, (item, itemWire) => {
        if (item === 1 && itemWire === WIRE.len)
          items.push(readAnyValue(reader, lenEnd(reader, arrayEnd)));
        else skip(reader, itemWire);
      });
      value = items;
    } else if (number === 6 && wireType === WIRE.len) {
      const listEnd = lenEnd(reader, end);
      const map = new Map<string, AttributeValue>();
      fields(reader, listEnd, (item, itemWire) => {
        if (item === 1 && itemWire === WIRE.len)
          readKeyValue(reader, lenEnd(reader, listEnd), map);
        else skip(reader, itemWire);
      });
      value = JSON.stringify(Object.fromEntries(map));
    } else if (number === 7 && wireType === WIRE.len)
      value = Buffer.from(reader.bytes()).toString("base64");
    else skip(reader, wireType);
  }
  atEnd(reader, end);
  return value;
}

function readKeyValue(
  reader: protobuf.Reader,
  end: number,
  into: Map<string, AttributeValue>,
): void {
  let key: string | undefined;
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | WIRE.len)) key = reader.string();
    else if (tag === ((2 << 3) | WIRE.len))
      value = readAnyValue(reader, lenEnd(reader, end));
    else skip(reader, tag & 7);
  }
  atEnd(reader, end);
  if (key !== undefined) into.set(key, value);
}

/** A repeated KeyValue field's entry at the reader: added to `into`. */
function readAttribute(
  reader: protobuf.Reader,
  parentEnd: number,
  into: Map<string, AttributeValue>,
): void {
  readKeyValue(reader, lenEnd(reader, parentEnd), into);
}

/** A bytes field (a trace or span id) as hex, read from the body in place: no Buffer per id. */
function readHex(body: Buffer, reader: protobuf.Reader, parentEnd: number) {
  const end = lenEnd(reader, parentEnd);
  const hex = body.toString("hex", reader.pos, end);
  reader.pos = end;
  return hex;
}

const TO_OBJECT = {
  longs: String,
  bytes: String,
  defaults: false,
  arrays: true,
} as const;

function readSpan(
  body: Buffer,
  reader: protobuf.Reader,
  end: number,
  resource: Attributes,
  scope: string,
): OtlpSpan {
  const start = reader.pos;
  let traceId = "";
  let spanId = "";
  let parentSpanId = "";
  let name = "";
  let kind = 0;
  // fixed64 times as their little-endian uint32 halves, in locals: no object per time.
  let startLow = 0;
  let startHigh = 0;
  let endLow = 0;
  let endHigh = 0;
  let statusCode = 0;
  let statusMessage = "";
  const attributes = new Map<string, AttributeValue>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === WIRE.len && number === 9)
      readAttribute(reader, end, attributes);
    else if (wireType === WIRE.len && number === 1)
      traceId = readHex(body, reader, end);
    else if (wireType === WIRE.len && number === 2)
      spanId = readHex(body, reader, end);
    else if (wireType === WIRE.len && number === 4)
      parentSpanId = readHex(body, reader, end);
    else if (wireType === WIRE.len && number === 5) name = reader.string();
    else if (wireType === WIRE.len && number === 15) {
      const statusEnd = lenEnd(reader, end);
      fields(reader, statusEnd, (field, fieldWire) => {
        if (field === 2 && fieldWire === WIRE.len)
          statusMessage = reader.string();
        else if (field === 3 && fieldWire === WIRE.varint)
          statusCode = reader.int32();
        else skip(reader, fieldWire);
      });
    } else if (number === 6 && wireType === WIRE.varint) kind = reader.int32();
    else if (number === 7 && wireType === WIRE.fixed64) {
      startLow = reader.fixed32();
      startHigh = reader.fixed32();
    } else if (number === 8 && wireType === WIRE.fixed64) {
      endLow = reader.fixed32();
      endHigh = reader.fixed32();
    } else skip(reader, wireType);
  }
  atEnd(reader, end);
  const out: OtlpSpan = {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startMs: wholeMs(startHigh, startLow),
    durationMs: durationOf(startHigh, startLow, endHigh, endLow),
    attributes,
    statusCode,
    statusMessage,
    resource,
    scope,
    // Only a dead letter needs the OTLP JSON form: its bytes decoded again then, alone.
    raw: () =>
      rawSpan(
        SpanType.toObject(
          SpanType.decode(body.subarray(start, end)),
          TO_OBJECT,
        ),
        resource,
        () => out,
      ),
  };
  return out;
}

/** Byte ranges of one repeated LEN field, read after the fields they depend on. */
function ranges(reader: protobuf.Reader, parentEnd: number, into: number[]) {
  const end = lenEnd(reader, parentEnd);
  into.push(reader.pos, end);
  reader.pos = end;
}

function readScopeSpans(
  body: Buffer,
  reader: protobuf.Reader,
  end: number,
  resource: Attributes,
  spans: OtlpSpan[],
): void {
  let scope = "";
  const spanRanges: number[] = [];
  fields(reader, end, (number, wireType) => {
    if (number === 1 && wireType === WIRE.len) {
      const scopeEnd = lenEnd(reader, end);
      fields(reader, scopeEnd, (field, fieldWire) => {
        if (field === 1 && fieldWire === WIRE.len) scope = reader.string();
        else skip(reader, fieldWire);
      });
    } else if (number === 2 && wireType === WIRE.len)
      ranges(reader, end, spanRanges);
    else skip(reader, wireType);
  });
  for (let i = 0; i < spanRanges.length; i += 2) {
    reader.pos = spanRanges[i] as number;
    spans.push(
      readSpan(body, reader, spanRanges[i + 1] as number, resource, scope),
    );
  }
  reader.pos = end;
}

function readResourceSpans(
  body: Buffer,
  reader: protobuf.Reader,
  end: number,
  spans: OtlpSpan[],
): void {
  const resource = new Map<string, AttributeValue>();
  const scopeRanges: number[] = [];
  fields(reader, end, (number, wireType) => {
    if (number === 1 && wireType === WIRE.len) {
      const resourceEnd = lenEnd(reader, end);
      fields(reader, resourceEnd, (field, fieldWire) => {
        if (field === 1 && fieldWire === WIRE.len)
          readAttribute(reader, resourceEnd, resource);
        else skip(reader, fieldWire);
      });
    } else if (number === 2 && wireType === WIRE.len)
      ranges(reader, end, scopeRanges);
    else skip(reader, wireType);
  });
  for (let i = 0; i < scopeRanges.length; i += 2) {
    reader.pos = scopeRanges[i] as number;
    readScopeSpans(body, reader, scopeRanges[i + 1] as number, resource, spans);
  }
  reader.pos = end;
}

function wireSpans(body: Buffer): OtlpSpan[] {
  const reader = protobuf.Reader.create(body);
  const spans: OtlpSpan[] = [];
  fields(reader, reader.len, (number, wireType) => {
    if (number === 1 && wireType === WIRE.len)
      readResourceSpans(body, reader, lenEnd(reader, reader.len), spans);
    else skip(reader, wireType);
  });
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
      return { ok: true, spans: wireSpans(body) };
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
