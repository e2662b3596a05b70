// CPU time per 1000 events of each ingest door's work in one process, without HTTP: NDJSON
// split + acceptance (`/v1/events`) against OTLP protobuf decode + mapping + acceptance
// (`/v1/traces`). CPU time (process.cpuUsage), the paths interleaved, so a busy machine skews
// the ratio less than otlp-vs-events.mjs's wall-clock rates. Usage: node bench/otlp-cpu.mjs [rounds]
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import {
  OPEN_BINDING,
  acceptAuditMessage,
  createIngestMetrics,
  ingestMapped,
  loadIngestConfig,
  otlpDocumentMapper,
} from "@warden/ingest";
import { splitRequestBody } from "../services/ingest/dist/core/request-body.js";

const ROUNDS = Number(process.argv[2] ?? 100);
const BATCH = 1000;
const metrics = createIngestMetrics();
const options = { ...loadIngestConfig({}), nowMs: Date.now() + 1e9 };

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
const protobuf = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
const mapper = otlpDocumentMapper();
const now = Date.now();
const minimal = Buffer.from(
  Array.from({ length: BATCH }, (_, i) =>
    JSON.stringify({
      schema: "agent-audit/v1",
      event_id: `bench-${i}`,
      time: new Date(now + i).toISOString(),
      agent: { id: "agent:bench/1", kind: "bench" },
      credential: { id: "absent:agent:bench/1", type: "other" },
      action: { name: "tool:search_orders", verb: "read" },
      resource: { sensitivity: "internal" },
      outcome: "success",
      duration_ms: 1,
      trace_id: "5b8efff798038103d269b633813fc60c",
    }),
  ).join("\n"),
);
// The OTLP mapping's own events for the same spans: the same content on both doors.
const same = Buffer.from(
  mapper
    .decode(protobuf, "application/x-protobuf")
    .records.map((record) => JSON.stringify(record.outcome.event))
    .join("\n"),
);
const sink = async (messages) =>
  messages.map((message, index) => ({
    line: index + 1,
    status: acceptAuditMessage(message, options).ok ? "accepted" : "rejected",
  }));
const events = (body) => () =>
  sink(splitRequestBody(body, "application/x-ndjson", BATCH).messages);
const paths = {
  "/v1/events, minimal events": events(minimal),
  "/v1/events, the mapping's events": events(same),
  "/v1/traces": () =>
    ingestMapped(
      "otlp",
      mapper.decode(protobuf, "application/x-protobuf").records,
      OPEN_BINDING,
      { sink, deadLetter: async () => {}, metrics },
    ),
};
const cpu = Object.fromEntries(Object.keys(paths).map((name) => [name, 0]));
for (let round = 0; round < 20; round++)
  for (const run of Object.values(paths)) await run();
for (let round = 0; round < ROUNDS; round++)
  for (const [name, run] of Object.entries(paths)) {
    const start = process.cpuUsage();
    await run();
    const used = process.cpuUsage(start);
    cpu[name] += (used.user + used.system) / 1000 / ROUNDS;
  }
const traces = cpu["/v1/traces"];
for (const [name, ms] of Object.entries(cpu))
  process.stdout.write(
    `${name.padEnd(34)} ${ms.toFixed(2)} ms CPU per ${BATCH}, OTLP / this (throughput) ${(ms / traces).toFixed(2)}\n`,
  );
