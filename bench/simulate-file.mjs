#!/usr/bin/env node
// Benchmark of `warden simulate` to files: events/s generated to NDJSON (plain and gzip), and
// memory over a 500,000-agent / 5,000,000-event streaming run, sampled while it runs.
// Run after `npm run build`:  node bench/simulate-file.mjs [--quick]
// Writes bench/results/simulate-file.md. Not a test: timings depend on the machine and its load.
import { execSync } from "node:child_process";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import {
  ATTACK_KINDS,
  TRAP_KINDS,
  createFileSink,
  planSimulation,
  runSimulation,
} from "@warden/simulator";

const quick = process.argv.includes("--quick");
const START = Date.parse("2026-11-02T00:00:00Z");
const DAY_MS = 86_400_000;
const all = (kinds) => kinds.map((kind) => ({ kind, count: 1 }));
const dir = mkdtempSync(join(tmpdir(), "warden-bench-simulate-"));

async function run(name, options, out) {
  const planStarted = performance.now();
  const plan = planSimulation({
    startMs: START,
    attacks: all(ATTACK_KINDS),
    traps: all(TRAP_KINDS),
    ...options,
  });
  const planSeconds = (performance.now() - planStarted) / 1000;
  const samples = [];
  const sample = () => {
    const { heapUsed, rss } = process.memoryUsage();
    samples.push({ heapUsed, rss });
  };
  const timer = setInterval(sample, 500);
  const atMillion = [];
  const summary = await runSimulation({
    plan,
    sink: createFileSink(out),
    batchSize: 1_000,
    live: false,
    labelsPath: join(dir, `${name}.labels.ndjson`),
    onProgress: (progress) => {
      if (Math.floor(progress.events / 1_000_000) > atMillion.length) {
        atMillion.push(process.memoryUsage().heapUsed);
      }
    },
  });
  clearInterval(timer);
  sample();
  const size = out === "/dev/null" ? summary.bytes : statSync(out).size;
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0);
  return {
    name,
    agents: options.agents,
    days: options.durationMs / DAY_MS,
    events: summary.events,
    seconds: summary.elapsed_seconds.toFixed(1),
    planSeconds: planSeconds.toFixed(1),
    eventsPerSecond: summary.events_per_second,
    fileMiB: mib(size),
    maxHeapMiB: mib(Math.max(...samples.map((s) => s.heapUsed))),
    maxRssMiB: mib(Math.max(...samples.map((s) => s.rss))),
    heapAtEachMillionMiB: atMillion.map(mib).join(", "),
  };
}

const loadBefore = loadavg()[0].toFixed(1);
const runs = [];
runs.push(
  await run(
    "throughput, plain",
    {
      seed: 1,
      agents: 2_000,
      durationMs: 7 * DAY_MS,
      targetEvents: quick ? 200_000 : 1_000_000,
    },
    join(dir, "plain.ndjson"),
  ),
);
runs.push(
  await run(
    "throughput, gzip",
    {
      seed: 1,
      agents: 2_000,
      durationMs: 7 * DAY_MS,
      targetEvents: quick ? 200_000 : 1_000_000,
    },
    join(dir, "gzip.ndjson.gz"),
  ),
);
runs.push(
  await run(
    "large stream",
    {
      seed: 9,
      agents: quick ? 50_000 : 500_000,
      durationMs: DAY_MS,
      targetEvents: quick ? 500_000 : 5_000_000,
    },
    "/dev/null",
  ),
);
rmSync(dir, { recursive: true, force: true });

const sh = (command) => execSync(command, { encoding: "utf8" }).trim();
const cpuModel =
  readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ??
  "unknown";
const rows = runs.map(
  (r) =>
    `| ${r.name} | ${r.agents} | ${r.days} | ${r.events} | ${r.planSeconds} | ${r.seconds} | ${r.eventsPerSecond} | ${r.fileMiB} | ${r.maxHeapMiB} | ${r.maxRssMiB} | ${r.heapAtEachMillionMiB} |`,
);
const report = `# warden simulate — file output benchmark

Command: \`npm run build && node bench/simulate-file.mjs\` (${quick ? "--quick" : "full"} run, ${new Date().toISOString()}).
Every attack and benign trap on; batches of 1,000 events; the large stream writes to /dev/null so
the disk is not what is measured. Memory sampled every 0.5 s in the generating process.

Machine: ${cpus().length} vCPUs (\`nproc\` ${sh("nproc")}), ${cpuModel}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM,
Node ${process.version}. Shared with other jobs while measured (1-minute load average ${loadBefore}
before, ${loadavg()[0].toFixed(1)} after), so rates are a floor, not a ceiling.

| run | agents | days | events | plan s | run s | events/s | output MiB | max heap MiB | max RSS MiB | heap at each 1M events (MiB) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

Reading it: the heap holds the population (typed arrays, ~13 bytes an agent), one hour of
arrivals and the labels' event ids; it does not grow with the number of events — compare the heap
at each million events of the large stream. RSS is dominated by a fixed ~220 MiB that importing
\`@warden/shared\` costs (it loads chDB's native library at import: \`node -e "import('@warden/shared')"\`
peaks at that alone). "output MiB" is NDJSON before compression for /dev/null, the file size
otherwise.
`;
writeFileSync(new URL("./results/simulate-file.md", import.meta.url), report);
process.stdout.write(report);
