// Soak: the whole pipeline (ingest, baseline with embedded chDB, detector, revoker as separate
// processes) fed by the simulator's generator at a fixed rate for a bounded time, with each
// service's RSS and heap and every consumer's lag sampled, and the end-to-end latency from an
// event's production (its `time` is stamped then) to its SET reaching a push receiver.
//
// Run (stack up, after npm run build):
//   node bench/soak.mjs [--rate 1000] [--duration 10m] [--sample 5s] [--agents 20000]
//                       [--runaways-per-minute 6] [--seed 7] [--out bench/results/soak.md]
// KAFKA_BROKERS and NATS_URL pick the stack, as for the services.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { decodeJwt } from "jose";
import {
  connectAdmin,
  connectNats,
  createKafka,
  createLogger,
  createNames,
  ensureDecisionsStream,
  ensureTopics,
  readKafkaConfig,
  readNatsConfig,
} from "@warden/shared";
import { generateEvents, planSimulation } from "@warden/simulator";
import { machineDetails } from "./lib/machine.mjs";
import {
  lagVerdict,
  memoryVerdict,
  parseDuration,
  percentiles,
  renderReport,
} from "./soak-report.mjs";

const { fetch } = globalThis;

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "1000" },
    duration: { type: "string", default: "10m" },
    sample: { type: "string", default: "5s" },
    agents: { type: "string", default: "20000" },
    "runaways-per-minute": { type: "string", default: "6" },
    seed: { type: "string", default: "7" },
    out: { type: "string", default: "bench/results/soak.md" },
  },
});
const positive = (option) => {
  const value = Number(args[option]);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${option} must be a positive number`);
  return value;
};
const options = {
  rate: positive("rate"),
  durationMs: parseDuration("duration", args.duration),
  sampleMs: parseDuration("sample", args.sample),
  agents: Math.round(positive("agents")),
  runawaysPerMinute: positive("runaways-per-minute"),
  seed: Math.round(positive("seed")),
  runawayKeepMs: 30_000,
  burstMaxCalls: 30,
};
const command = `node bench/soak.mjs --rate ${options.rate} --duration ${args.duration} --sample ${args.sample} --agents ${options.agents} --runaways-per-minute ${options.runawaysPerMinute} --seed ${options.seed}`;
const machine = machineDetails();

const logger = createLogger({ level: "fatal", service: "soak" });
const kafkaConfig = readKafkaConfig(process.env);
const names = createNames(`soak-${randomBytes(4).toString("hex")}`);
const namespace = names.groups.ingest.replace(/-warden-ingest$/u, "");
const dir = mkdtempSync(join(tmpdir(), "warden-soak-"));
const kafka = createKafka({ config: kafkaConfig, logger });
const admin = await connectAdmin(kafka, kafkaConfig);
await ensureTopics(admin, names);
const nats = await connectNats({
  config: readNatsConfig(process.env),
  logger,
  name: "soak",
});
await ensureDecisionsStream(await nats.jetstreamManager(), names);

// The push receiver: every SET's arrival time by txn (the decision id).
const arrivals = [];
const receiver = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    arrivals.push({ atMs: Date.now(), txn: String(decodeJwt(body).txn) });
    response.writeHead(202).end();
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const revokerPort = await freePort();
const serviceEnv = {
  ingest: {},
  baseline: { CHDB_PATH: join(dir, "chdb") },
  detector: {
    DETECTOR_BURST_MAX_CALLS: String(options.burstMaxCalls),
    DETECTOR_BURST_WINDOW: "10s",
  },
  revoker: {
    REVOKER_ISSUER: `http://127.0.0.1:${revokerPort}`,
    REVOKER_HTTP_PORT: String(revokerPort),
    REVOKER_SIGNING_KEY_FILE: join(dir, "signing-key.json"),
    REVOKER_PUSH_URL: `http://127.0.0.1:${receiver.address().port}/events`,
  },
};
const services = [];
for (const [name, env] of Object.entries(serviceEnv)) {
  const opsPort = await freePort();
  const child = spawn(process.execPath, [`services/${name}/dist/main.js`], {
    env: {
      ...process.env,
      WARDEN_LOG_LEVEL: "warn",
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      ...env,
    },
  });
  let output = "";
  const keep = (chunk) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  services.push({ name, child, opsPort, output: () => output });
}

// Throughput counters sampled beside memory: a stage that stops moving shows here first.
const COUNTERS = {
  ingest: "warden_ingest_accepted_total",
  baseline: "warden_baseline_rows_inserted_total",
  detector: "warden_detector_events_total",
  revoker: "warden_revoker_sets_issued_total",
};

async function metricsOf(service) {
  const text = await (
    await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)
  ).text();
  const sum = (metric) =>
    [
      ...text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, "gmu")),
    ].reduce((total, match) => total + Number(match[1]), 0);
  return {
    rss: sum("warden_process_resident_memory_bytes"),
    heap: sum("warden_nodejs_heap_size_used_bytes"),
    counter: sum(COUNTERS[service.name]),
  };
}

const readyDeadline = Date.now() + 120_000;
for (const service of services)
  for (;;) {
    const ready = await fetch(
      `http://127.0.0.1:${service.opsPort}/readyz`,
    ).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (service.child.exitCode !== null || Date.now() > readyDeadline)
      throw new Error(
        `${service.name} did not become ready:\n${service.output()}`,
      );
    await sleep(250);
  }

// Consumer lag: Kafka groups from committed offsets, the revoker from its JetStream consumer.
const lagSources = [
  ["ingest", names.groups.ingest, names.topics.audit],
  ["detector", names.groups.detector, names.topics.events],
  ["baseline (events)", names.groups.baseline, names.topics.events],
];
async function lags() {
  const result = {};
  for (const [label, group, topic] of lagSources) {
    // Committed offsets first, then the ends: read the other way round, a busy consumer can
    // commit past the end that was read a moment earlier.
    const [committed] = await admin.fetchOffsets({
      groupId: group,
      topics: [topic],
    });
    const ends = await admin.fetchTopicOffsets(topic);
    const done = new Map(
      committed.partitions.map((p) => [
        p.partition,
        Math.max(0, Number(p.offset)),
      ]),
    );
    result[label] = ends.reduce(
      (sum, p) =>
        sum + Math.max(0, Number(p.high) - (done.get(p.partition) ?? 0)),
      0,
    );
  }
  const info = await (
    await nats.jetstreamManager()
  ).consumers.info(names.decisionsStream, names.decisionsConsumer);
  result["revoker (decisions)"] = info.num_pending + info.num_ack_pending;
  return result;
}

// Traffic: the simulator's plan runs past the soak so that 10–30 min runaway loops fit in it;
// only the soak's part is produced. Runaway loops are cut to their first runawayKeepMs.
const startMs = Date.now();
const planMs = options.durationMs + 30 * 60_000;
const plan = planSimulation({
  seed: options.seed,
  agents: options.agents,
  startMs,
  durationMs: planMs,
  targetEvents: (options.rate * planMs) / 1000,
  attacks: [
    {
      kind: "runaway_loop",
      count: Math.round((options.runawaysPerMinute * planMs) / 60_000),
    },
  ],
  traps: [],
  learningFraction: 20_000 / planMs,
});
const counts = { produced: 0, runawayEvents: 0 };
const runawayAgents = new Set();
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
});
await producer.connect();

const samples = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const atMs = Date.now() - startMs;
    const sample = {
      atMs,
      produced: counts.produced,
      rss: {},
      heap: {},
      counter: {},
      lag: await lags().catch(() => ({})),
    };
    for (const service of services) {
      const memory = await metricsOf(service).catch(() => ({
        rss: NaN,
        heap: NaN,
        counter: NaN,
      }));
      sample.rss[service.name] = memory.rss;
      sample.heap[service.name] = memory.heap;
      sample.counter[service.name] = memory.counter;
    }
    samples.push(sample);
    await sleep(Math.max(0, options.sampleMs - (Date.now() - startMs - atMs)));
  }
})();

let batch = [];
const flush = async () => {
  if (batch.length === 0) return;
  const time = new Date().toISOString();
  const messages = batch.map((event) => ({
    key: event.agent.id,
    value: JSON.stringify({ ...event, time }),
  }));
  batch = [];
  await producer.send({ topic: names.topics.audit, acks: -1, messages });
  counts.produced += messages.length;
};
for (const generated of generateEvents(plan)) {
  if (generated.timeMs >= startMs + options.durationMs) break;
  const { episode, event } = generated;
  if (episode?.kind === "runaway_loop") {
    if (generated.timeMs >= episode.startMs + options.runawayKeepMs) continue;
    runawayAgents.add(event.agent.id);
    counts.runawayEvents += 1;
  }
  if (generated.timeMs > Date.now() || batch.length >= 500) {
    await flush();
    // Hold at least 50 ms once caught up, so sends carry tens of events rather than one each.
    const wait = generated.timeMs - Date.now();
    if (wait > 0) await sleep(Math.max(wait, 50));
  }
  batch.push(event);
}
await flush();
const producedForMs = Date.now() - startMs;
await producer.disconnect();

// Drain: wait until every consumer caught up and the SET queue is empty (bounded).
const drainStarted = Date.now();
let drained = false;
while (Date.now() - drainStarted < 180_000) {
  const now = await lags().catch(() => undefined);
  const queue = await (
    await nats.jetstreamManager()
  ).consumers
    .info(
      names.revoker.setsStream,
      names.revoker.consumer("events", "static-push"),
    )
    .catch(() => undefined);
  if (
    now &&
    Object.values(now).every((lag) => lag === 0) &&
    queue &&
    queue.num_pending + queue.num_ack_pending === 0
  ) {
    drained = true;
    break;
  }
  await sleep(1000);
}
const drainMs = Date.now() - drainStarted;
sampling = false;
await sampler;

// Revoke decisions (their `at` is the trigger event's time, stamped at production) and SETs.
const decisions = new Map();
const decisionCounts = {};
const jsm = await nats.jetstreamManager();
const total = (await jsm.streams.info(names.decisionsStream)).state.messages;
if (total > 0) {
  const consumer = await nats.jetstream().consumers.get(names.decisionsStream);
  for (let seen = 0; seen < total;) {
    for await (const message of await consumer.fetch({
      max_messages: 1000,
      expires: 2000,
    })) {
      seen += 1;
      const decision = message.json();
      decisionCounts[decision.action] =
        (decisionCounts[decision.action] ?? 0) + 1;
      if (decision.action === "revoke")
        decisions.set(decision.decision_id, decision);
    }
  }
}
const latencies = arrivals
  .filter(({ txn }) => decisions.has(txn))
  .map(({ atMs, txn }) => atMs - Date.parse(decisions.get(txn).at));
const revokedAgents = new Set(
  [...decisions.values()].map((decision) => decision.agent_id),
);

const series = (pick) =>
  samples
    .map((sample) => ({ atMs: sample.atMs, value: pick(sample) }))
    .filter((point) => Number.isFinite(point.value));
const runMs = options.durationMs;
const report = renderReport({
  options,
  command,
  machine,
  samples,
  counts: {
    produced: counts.produced,
    achievedRate: (counts.produced / producedForMs) * 1000,
    runawayEvents: counts.runawayEvents,
    runawayAgents: runawayAgents.size,
    runawaysRevoked: [...runawayAgents].filter((agent) =>
      revokedAgents.has(agent),
    ).length,
    decisions: decisionCounts,
    sets: arrivals.length,
    drained,
    drainMs,
  },
  services: services.map(({ name }) => {
    const rss = series((sample) => sample.rss[name]);
    const heap = series((sample) => sample.heap[name]);
    return {
      name,
      rss: { series: rss, ...memoryVerdict(rss, runMs) },
      heap: { series: heap, ...memoryVerdict(heap, runMs) },
    };
  }),
  lags: Object.keys(samples[0]?.lag ?? {}).map((name) => {
    const lag = series((sample) => sample.lag[name]);
    return { name, series: lag, ...lagVerdict(lag, runMs, options.rate) };
  }),
  latency: percentiles(latencies),
});
writeFileSync(args.out, report);
console.log(report);
// The services' warnings and errors, kept beside the results for whoever reads a bad verdict.
for (const service of services) {
  const path = join(tmpdir(), `${namespace}-${service.name}.log`);
  writeFileSync(path, service.output());
  console.error(`soak: ${service.name} output (last 20 kB): ${path}`);
}

for (const service of services) {
  service.child.kill("SIGTERM");
  await new Promise((resolve) =>
    service.child.exitCode !== null
      ? resolve()
      : service.child.once("exit", resolve),
  );
}
receiver.close();
for (const stream of [
  names.decisionsStream,
  names.revoker.setsStream,
  `KV_${names.revoker.streamsBucket}`,
  `KV_${names.revoker.approvalsBucket}`,
  `KV_${names.revokedAgentsBucket}`,
  `KV_${names.baselinesBucket}`,
])
  await jsm.streams.delete(stream).catch(() => undefined);
await nats.drain();
await admin
  .deleteTopics({ topics: Object.values(names.topics) })
  .catch(() => undefined);
await admin.disconnect();
rmSync(dir, { recursive: true, force: true });
