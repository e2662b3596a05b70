// CPU time per 1000 events of each ingest door's work in one process, without HTTP: NDJSON
// split + acceptance (`/v1/events`) against OTLP protobuf decode + mapping + serialisation +
// acceptance (`/v1/traces`). CPU time (process.cpuUsage), the paths interleaved round by round,
// so a busy machine skews the ratio less than otlp-vs-events.mjs's wall-clock rates; the
// fastest quarter of rounds is reported beside the mean (what the machine gives when no
// neighbour takes the core). Usage: node bench/otlp-cpu.mjs [rounds]  (after npm run build)
import {
  OPEN_BINDING,
  acceptAuditMessage,
  createIngestMetrics,
  ingestMapped,
  loadIngestConfig,
  otlpDocumentMapper,
} from "@warden/ingest";
import { splitRequestBody } from "../services/ingest/dist/core/request-body.js";
import { machineDetails } from "./lib/machine.mjs";
import { otlpBenchBodies } from "./lib/otlp-fixture.mjs";
import { writeResultSection } from "./lib/results.mjs";

const ROUNDS = Number(process.argv[2] ?? 100);
const BATCH = 1000;
const machine = machineDetails();
const metrics = createIngestMetrics();
const options = { ...loadIngestConfig({}), nowMs: Date.now() + 1e9 };
const { protobuf, minimal, mapped } = otlpBenchBodies(BATCH);
const mapper = otlpDocumentMapper();
let rejected = 0;
const sink = async (messages) =>
  messages.map((message, index) => {
    const ok = acceptAuditMessage(message, options).ok;
    if (!ok) rejected++;
    return { line: index + 1, status: ok ? "accepted" : "rejected" };
  });
const events = (body) => () =>
  sink(splitRequestBody(body, "application/x-ndjson", BATCH).messages);
const paths = {
  "/v1/events, minimal events": events(minimal),
  "/v1/events, the mapping's events": events(mapped),
  "/v1/traces": () =>
    ingestMapped(
      "otlp",
      mapper.decode(protobuf, "application/x-protobuf").records,
      OPEN_BINDING,
      { sink, deadLetter: async () => {}, metrics },
    ),
};
const samples = Object.fromEntries(
  Object.keys(paths).map((name) => [name, []]),
);
for (let round = 0; round < 20; round++)
  for (const run of Object.values(paths)) await run();
for (let round = 0; round < ROUNDS; round++)
  for (const [name, run] of Object.entries(paths)) {
    const start = process.cpuUsage();
    await run();
    const used = process.cpuUsage(start);
    samples[name].push((used.user + used.system) / 1000);
  }
if (rejected > 0) throw new Error(`${rejected} bench events were rejected`);
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const fastQuarter = (values) =>
  mean(
    [...values].sort((a, b) => a - b).slice(0, Math.ceil(values.length / 4)),
  );
const stats = Object.fromEntries(
  Object.entries(samples).map(([name, values]) => [
    name,
    { mean: mean(values), fast: fastQuarter(values) },
  ]),
);
const traces = stats["/v1/traces"];
const rows = Object.entries(stats).map(
  ([name, { mean: ms, fast }]) =>
    `| ${name} | ${ms.toFixed(2)} | ${(ms / traces.mean).toFixed(2)} | ${fast.toFixed(2)} | ${(fast / traces.fast).toFixed(2)} |`,
);
const report = `## CPU per 1000 events, without HTTP

\`node bench/otlp-cpu.mjs ${ROUNDS}\` (after \`npm run build\`): ${ROUNDS} interleaved rounds of ${BATCH} events per path,
CPU time of the one process (\`process.cpuUsage\`). OTLP / a path is that path's CPU over OTLP's: the throughput ratio.
"Fastest quarter": the mean of each path's quickest quarter of rounds, less disturbed by neighbours on a shared machine.

${machine}

| path | ms CPU per 1000 (mean) | OTLP / this | fastest quarter, ms | OTLP / this |
|---|---|---|---|---|
${rows.join("\n")}
`;
writeResultSection(
  "bench/results/otlp.md",
  "OTLP vs /v1/events at the ingest door",
  "otlp-cpu",
  report,
);
process.stdout.write(report);
