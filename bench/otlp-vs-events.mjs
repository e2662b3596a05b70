// OTLP/HTTP (`POST /v1/traces`, protobuf from the real OpenTelemetry SDK) vs `POST /v1/events`
// (NDJSON) at the ingest door: the same guarded Fastify scope, the same acceptance checks per
// event, a sink that drops what it accepted, so the difference is decoding and mapping.
// Usage: node bench/otlp-vs-events.mjs [seconds per path, default 8]  (after npm run build)
import { writeFileSync } from "node:fs";
import { fastify } from "fastify";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import {
  acceptAuditMessage,
  createIngestMetrics,
  createMappedRoutes,
  loadIngestConfig,
  otlpDocumentMapper,
  registerHttpIngest,
  registerMappedIngest,
} from "@warden/ingest";
import { machineDetails } from "./lib/machine.mjs";

const { fetch } = globalThis;
const SECONDS = Number(process.argv[2] ?? 8);
const BATCH = 1000;
const CONCURRENCY = 4;

// The per-client rate limit is lifted: the bench measures decoding and mapping, not the limiter.
const config = loadIngestConfig({
  INGEST_HTTP_MAX_LINES: "100000",
  INGEST_HTTP_RATE_LIMIT: "1000000",
});
const metrics = createIngestMetrics();
let accepted = 0;
const sink = async (messages, binding) =>
  messages.map((message, index) => {
    const outcome = acceptAuditMessage(
      message,
      { ...config, nowMs: Date.now() },
      binding,
    );
    if (outcome.ok) accepted++;
    return outcome.ok
      ? { line: index + 1, status: "accepted" }
      : {
          line: index + 1,
          status: "rejected",
          reason: outcome.reason,
          detail: outcome.detail,
        };
  });
const app = fastify({ logger: false });
const guard = { tokens: [], limits: config.httpLimits, metrics, sink };
await registerHttpIngest(app, guard);
await registerMappedIngest(app, {
  ...guard,
  deadLetter: async () => {},
  routes: createMappedRoutes(config.otlp),
});
await app.listen({ host: "127.0.0.1", port: 0 });
const base = `http://127.0.0.1:${app.server.address().port}`;

// NDJSON: one tool call per line, as a gateway sends them.
const now = Date.now();
const ndjson = Array.from({ length: BATCH }, (_, i) =>
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

// Protobuf: the same tool calls as execute_tool spans, serialised by the SDK's own OTLP serializer.
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
for (let i = 0; i < BATCH; i++)
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
const protobuf = ProtobufTraceSerializer.serializeRequest(spans);
// The very events the OTLP mapping makes of those spans, as NDJSON: the same content on both
// paths, so the difference is decoding and mapping alone.
const mappedNdjson = otlpDocumentMapper()
  .decode(Buffer.from(protobuf), "application/x-protobuf")
  .records.map((record) => JSON.stringify(record.outcome.event))
  .join("\n");

async function measure(path, body, contentType) {
  const until = Date.now() + SECONDS * 1000;
  const before = accepted;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (Date.now() < until) {
      const response = await fetch(`${base}${path}`, {
        method: "POST",
        body,
        headers: { "content-type": contentType },
      });
      if (response.status >= 300)
        throw new Error(
          `${path} answered ${response.status}: ${await response.text()}`,
        );
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round((accepted - before) / seconds);
}

await measure("/v1/events", ndjson, "application/x-ndjson"); // warm-up
const events = await measure("/v1/events", ndjson, "application/x-ndjson");
const mappedEvents = await measure(
  "/v1/events",
  mappedNdjson,
  "application/x-ndjson",
);
const otlp = await measure("/v1/traces", protobuf, "application/x-protobuf");
await app.close();
const ratio = (otlp / events).toFixed(2);
const sameRatio = (otlp / mappedEvents).toFixed(2);
const report = `# OTLP/HTTP vs /v1/events at the ingest door

\`node bench/otlp-vs-events.mjs ${SECONDS}\` (after \`npm run build\`): ${BATCH} events per request,
${CONCURRENCY} concurrent clients, ${SECONDS} s per path after a warm-up, one process (server and clients share it).
Both paths run the same guarded scope and the same acceptance checks; the sink drops what it accepted.
OTLP events reach the sink as the mapper built them with their one JSON serialisation (what a cluster produces to Kafka), never parsed back.

${machineDetails()}

| path | body | events/s |
|---|---|---|
| \`POST /v1/events\` | NDJSON audit events (a gateway's minimal tool call, ~330 B) | ${events} |
| \`POST /v1/events\` | NDJSON of the audit events the OTLP mapping makes of the spans below (~630 B: span attributes, duration) | ${mappedEvents} |
| \`POST /v1/traces\` | OTLP protobuf (${spans.length} execute_tool spans from the OpenTelemetry SDK's serializer) | ${otlp} |

OTLP / events: **${ratio}** against the minimal events, **${sameRatio}** against the same events as NDJSON (the issue asks for at least 0.5).
`;
writeFileSync("bench/results/otlp.md", report);
process.stdout.write(report);
