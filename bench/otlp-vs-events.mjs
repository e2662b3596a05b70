// OTLP/HTTP (`POST /v1/traces`, protobuf from the real OpenTelemetry SDK) vs `POST /v1/events`
// (NDJSON) at the ingest door: the same guarded Fastify scope, the same acceptance checks per
// event, a sink that drops what it accepted, so the difference is decoding and mapping.
// Usage: node bench/otlp-vs-events.mjs [seconds per path, default 8]  (after npm run build)
import { fastify } from "fastify";
import {
  acceptAuditMessage,
  createIngestMetrics,
  createMappedRoutes,
  loadIngestConfig,
  registerHttpIngest,
  registerMappedIngest,
} from "@warden/ingest";
import { machineDetails } from "./lib/machine.mjs";
import { otlpBenchBodies } from "./lib/otlp-fixture.mjs";
import { writeResultSection } from "./lib/results.mjs";

const { fetch } = globalThis;
const SECONDS = Number(process.argv[2] ?? 8);
const BATCH = 1000;
const CONCURRENCY = 4;
const machine = machineDetails();

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

// The same tool calls as a gateway's minimal NDJSON, as OTLP protobuf from the SDK's own
// serializer, and as NDJSON of the very events the OTLP mapping makes of those spans (the same
// content on both doors, so the difference is decoding and mapping alone).
const {
  minimal: ndjson,
  protobuf,
  mapped: mappedNdjson,
} = otlpBenchBodies(BATCH);

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
const report = `## OTLP/HTTP vs /v1/events over HTTP

\`node bench/otlp-vs-events.mjs ${SECONDS}\` (after \`npm run build\`): ${BATCH} events per request,
${CONCURRENCY} concurrent clients, ${SECONDS} s per path after a warm-up, one process (server and clients share it).
Both paths run the same guarded scope and the same acceptance checks; the sink drops what it accepted.
OTLP events reach the sink as the mapper built them with their one JSON serialisation (what a cluster produces to Kafka), never parsed back.

${machine}

| path | body | events/s |
|---|---|---|
| \`POST /v1/events\` | NDJSON audit events (a gateway's minimal tool call, ~330 B) | ${events} |
| \`POST /v1/events\` | NDJSON of the audit events the OTLP mapping makes of the spans below (~630 B: span attributes, duration) | ${mappedEvents} |
| \`POST /v1/traces\` | OTLP protobuf (${BATCH} execute_tool spans from the OpenTelemetry SDK's serializer) | ${otlp} |

OTLP / events: **${ratio}** against the minimal events, **${sameRatio}** against the same events as NDJSON (the issue asks for at least 0.5).
`;
writeResultSection(
  "bench/results/otlp.md",
  "OTLP vs /v1/events at the ingest door",
  "otlp-vs-events",
  report,
);
process.stdout.write(report);
