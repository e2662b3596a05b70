import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  JsonTraceSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { decodeTraceRequest, type OtlpSpan } from "./otlp-wire.js";

// Spans from the OpenTelemetry SDK, serialised by its own OTLP serializers (both encodings).
function sdkSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "billing-agent",
      "deployment.environment": "prod",
    }),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (span) => spans.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  const tracer = provider.getTracer("agent-sdk", "1.2.3");
  const parent = tracer.startSpan("invoke_agent billing", {
    attributes: { "gen_ai.operation.name": "invoke_agent" },
  });
  const child = tracer.startSpan(
    "execute_tool refund",
    {
      kind: 2,
      startTime: [1_790_000_000, 123_456_789],
      attributes: {
        "gen_ai.tool.name": "refund",
        "gen_ai.usage.input_tokens": 1234,
        ratio: 0.25,
        ok: true,
        tags: ["a", "b"],
        counts: [1, 2, 3],
      },
    },
    trace.setSpan(context.active(), parent),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: "denied" });
  child.end([1_790_000_001, 999_000_000]);
  parent.end();
  return spans;
}

const withoutRaw = (spans: readonly OtlpSpan[]) =>
  spans.map(({ raw: _raw, ...span }) => span);

describe("decodeTraceRequest", () => {
  it("reads the same spans from the SDK's protobuf and JSON encodings", () => {
    const spans = sdkSpans();
    const fromProtobuf = decodeTraceRequest(
      Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? []),
      "application/x-protobuf",
    );
    const fromJson = decodeTraceRequest(
      Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? []),
      "application/json",
    );
    expect(fromProtobuf.ok && fromJson.ok).toBe(true);
    if (!fromProtobuf.ok || !fromJson.ok) return;
    expect(withoutRaw(fromProtobuf.spans)).toEqual(withoutRaw(fromJson.spans));
    const child = fromProtobuf.spans.find((span) => span.name.includes("tool"));
    expect(child).toMatchObject({
      // The API's CLIENT (2) is OTLP's SPAN_KIND_CLIENT (3).
      kind: 3,
      startMs: 1_790_000_000_123,
      // 1.875543211 s, to the nanosecond.
      durationMs: 1875.543211,
      statusCode: 2,
      statusMessage: "denied",
      scope: "agent-sdk",
    });
    expect(child?.parentSpanId).toBe(
      fromProtobuf.spans.find((span) => span !== child)?.spanId,
    );
    expect(Object.fromEntries(child?.attributes ?? [])).toMatchObject({
      "gen_ai.tool.name": "refund",
      "gen_ai.usage.input_tokens": 1234,
      ratio: 0.25,
      ok: true,
      tags: ["a", "b"],
      counts: [1, 2, 3],
    });
    expect(child?.resource.get("service.name")).toBe("billing-agent");
    // A dead letter's form: the span alone as OTLP JSON, ids in hex.
    expect(JSON.parse(child?.raw().toString() ?? "{}")).toMatchObject({
      resource: { "service.name": "billing-agent" },
      span: { name: "execute_tool refund", spanId: child?.spanId },
    });
  });

  it("takes fields in any order, skips unknown ones, and lets the last oneof member win", () => {
    const w = protobuf.Writer.create();
    // ResourceSpans with its scopeSpans before its resource, and an unknown field 99.
    const scopeSpans = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .fork()
      .uint32((5 << 3) | 2)
      .string("execute_tool x")
      .uint32((9 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("k")
      .uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("first")
      .uint32((3 << 3) | 0)
      .int64(42)
      .ldelim()
      .ldelim()
      .uint32((1 << 3) | 2)
      .bytes(Buffer.alloc(16, 0xab))
      .uint32((7 << 3) | 1)
      .fixed64(5_000_000)
      .ldelim()
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("late-scope")
      .ldelim()
      .finish();
    const resource = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("service.name")
      .uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("svc")
      .ldelim()
      .ldelim()
      .finish();
    w.uint32((1 << 3) | 2)
      .fork()
      .uint32((2 << 3) | 2)
      .bytes(scopeSpans)
      .uint32((99 << 3) | 0)
      .uint32(7)
      .uint32((1 << 3) | 2)
      .bytes(resource)
      .ldelim();
    const decoded = decodeTraceRequest(
      Buffer.from(w.finish()),
      "application/x-protobuf",
    );
    expect(decoded.ok && withoutRaw(decoded.spans)).toEqual([
      {
        traceId: "ab".repeat(16),
        spanId: "",
        parentSpanId: "",
        name: "execute_tool x",
        kind: 0,
        startMs: 5,
        durationMs: undefined,
        attributes: new Map([["k", 42]]),
        statusCode: 0,
        statusMessage: "",
        resource: new Map([["service.name", "svc"]]),
        scope: "late-scope",
      },
    ]);
  });

  it("refuses every truncation of a valid body or reads it, never throws", () => {
    const body = Buffer.from(
      ProtobufTraceSerializer.serializeRequest(sdkSpans()) ?? [],
    );
    for (let length = 0; length < body.length; length++) {
      const decoded = decodeTraceRequest(
        body.subarray(0, length),
        "application/x-protobuf",
      );
      if (!decoded.ok)
        expect(decoded.detail).toMatch(/not an OTLP ExportTraceServiceRequest/);
    }
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const decoded = decodeTraceRequest(
          Buffer.from(bytes),
          "application/x-protobuf",
        );
        expect(typeof decoded.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("takes a JSON time that is no uint64 as missing", () => {
    const body = (start: unknown) =>
      Buffer.from(
        JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                { spans: [{ name: "s", startTimeUnixNano: start }] },
              ],
            },
          ],
        }),
      );
    for (const start of ["-5", "1e400", "18446744073709551616", "x", null]) {
      const decoded = decodeTraceRequest(body(start), "application/json");
      expect(decoded.ok && decoded.spans[0]?.startMs).toBe(0);
    }
    const decoded = decodeTraceRequest(
      body("18446744073709551615"),
      "application/json",
    );
    expect(decoded.ok && decoded.spans[0]?.startMs).toBe(18_446_744_073_709);
  });
});
