// The request bodies both OTLP benchmarks (otlp-cpu.mjs, otlp-vs-events.mjs) compare: the same
// tool calls as OTLP protobuf from the OpenTelemetry SDK's own serializer, as a gateway's minimal
// NDJSON, and as NDJSON of the very events the OTLP mapping makes of the spans.
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { otlpDocumentMapper } from "@warden/ingest";

/** `count` execute_tool spans, ended, as the SDK hands them to an exporter. */
function toolSpans(count) {
  const spans = [];
  const provider = new BasicTracerProvider({
    spanProcessors: [
      {
        onStart() {},
        onEnd: (span) => spans.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  const tracer = provider.getTracer("bench");
  for (let i = 0; i < count; i++)
    tracer
      .startSpan("execute_tool search_orders", {
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "search_orders",
          "gen_ai.agent.id": "agent:bench/1",
          "gen_ai.tool.call.id": `call_${i}`,
        },
      })
      .end();
  return spans;
}

/** A gateway's minimal tool call, one per line (~330 B each). */
function minimalNdjson(count) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      schema: "agent-audit/v1",
      event_id: `bench-${i.toString().padStart(8, "0")}`,
      time: new Date(now + i).toISOString(),
      agent: { id: "agent:bench/1", kind: "bench" },
      credential: { id: "absent:agent:bench/1", type: "other" },
      action: { name: "tool:search_orders", verb: "read" },
      resource: { sensitivity: "internal" },
      outcome: "success",
      duration_ms: 1,
      trace_id: "5b8efff798038103d269b633813fc60c",
    }),
  ).join("\n");
}

/** Bodies of `count` tool calls each: `protobuf`, `minimal` and `mapped` (NDJSON) Buffers. */
export function otlpBenchBodies(count) {
  const protobuf = Buffer.from(
    ProtobufTraceSerializer.serializeRequest(toolSpans(count)),
  );
  const decoded = otlpDocumentMapper().decode(
    protobuf,
    "application/x-protobuf",
  );
  if (!decoded.ok) throw new Error(decoded.detail);
  const mapped = decoded.records.map((record) => {
    if (record.outcome.kind !== "event")
      throw new Error(
        `a bench span did not map: ${JSON.stringify(record.outcome)}`,
      );
    return JSON.stringify(record.outcome.event);
  });
  return {
    protobuf,
    minimal: Buffer.from(minimalNdjson(count)),
    mapped: Buffer.from(mapped.join("\n")),
  };
}
