// Event → decision latency through the real Kafka (the local stack must be up; after
// `npm run build`):
//   node bench/detector-kafka.mjs [rate=10000] [seconds=30]
// Starts the built detector service in its own namespace, produces canonical events to
// agent.events.v1 at `rate` events/s (background agents at 2 calls per 10 s each, plus a new
// runaway agent every 200 ms sending 21 calls at once against a limit of 20), reads
// agent.decisions.v1, and reports p50/p99/max of decision arrival minus trigger event time
// (the event time is stamped when the event is produced, so this includes both Kafka hops).
// Writes bench/results/detector-kafka.md.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  ensureTopics,
  readKafkaConfig,
} from "@warden/shared";
import { machineDetails } from "./lib/machine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rate = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 30);
const TICK_MS = 10;
const BACKGROUND_AGENTS = Math.max(1, Math.round(rate * 5));
const RUNAWAY_EVERY_MS = 200;
const LIMIT = 20;

const namespace = `bench-detector-${Date.now().toString(36)}`;
const names = createNames(namespace);
const logger = createLogger({ level: "warn", service: "bench" });
const kafkaConfig = readKafkaConfig(process.env);
const kafka = createKafka({ config: kafkaConfig, logger });
const admin = await connectAdmin(kafka, kafkaConfig);
await ensureTopics(admin, names);

const opsPort = await new Promise((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const detector = spawn(
  process.execPath,
  [join(root, "services/detector/dist/main.js")],
  {
    env: {
      ...process.env,
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      WARDEN_LOG_LEVEL: "warn",
      DETECTOR_BURST_MAX_CALLS: String(LIMIT),
      DETECTOR_RESTORE_TAIL: "0",
    },
    stdio: ["ignore", "ignore", "inherit"],
  },
);
for (let ready = false; !ready;) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  ready = await globalThis
    .fetch(`http://127.0.0.1:${opsPort}/readyz`)
    .then((response) => response.ok)
    .catch(() => false);
}

const latencies = [];
const consumer = kafka.consumer({ groupId: `${namespace}-bench-reader` });
await consumer.connect();
await consumer.subscribe({
  topic: names.topics.decisions,
  fromBeginning: true,
});
await consumer.run({
  eachMessage: async ({ message }) => {
    const decision = JSON.parse(message.value.toString());
    const atMs = Date.parse(decision.at);
    latencies.push({ atMs, ms: Date.now() - atMs });
  },
});

function event(agent, index, timeMs) {
  return {
    schema: "agent-event/v1",
    event_id: `${agent}-${index}`,
    time: new Date(timeMs).toISOString(),
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: "bench",
    agent: { id: agent, kind: "bench" },
    credential: { id: `key-${agent}`, type: "api_key" },
    action: { name: "crm.read", verb: "read" },
    outcome: "success",
    delegation: [agent],
    chain_depth: 1,
    chain_root: agent,
    attributes: {},
  };
}

const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const started = Date.now();
let produced = 0;
let runaways = 0;
let nextRunawayMs = started + 1000;
let lagMs = 0;
while (Date.now() - started < seconds * 1000) {
  const tickStart = Date.now();
  const due = Math.round(((tickStart - started) / 1000) * rate) - produced;
  const messages = [];
  for (let i = 0; i < due; i++, produced++) {
    const agent = `agent-${produced % BACKGROUND_AGENTS}`;
    const e = event(agent, produced, Date.now());
    messages.push({ key: agent, value: JSON.stringify(e) });
  }
  if (tickStart >= nextRunawayMs) {
    nextRunawayMs += RUNAWAY_EVERY_MS;
    const agent = `runaway-${runaways++}`;
    for (let i = 0; i <= LIMIT; i++)
      messages.push({
        key: agent,
        value: JSON.stringify(event(agent, i, Date.now())),
      });
  }
  if (messages.length > 0)
    await producer.send({ topic: names.topics.events, messages });
  const spent = Date.now() - tickStart;
  lagMs = Math.max(lagMs, spent - TICK_MS);
  if (spent < TICK_MS)
    await new Promise((resolve) => setTimeout(resolve, TICK_MS - spent));
}
const elapsed = (Date.now() - started) / 1000;
// Let the last decisions arrive.
await new Promise((resolve) => setTimeout(resolve, 5000));
await producer.disconnect();
await consumer.disconnect();
detector.kill("SIGTERM");
await new Promise((resolve) => detector.on("exit", resolve));
await admin
  .deleteTopics({ topics: Object.values(names.topics) })
  .catch(() => {});
await admin.disconnect();

const percentiles = (list) => {
  const sorted = list.map((l) => l.ms).sort((a, b) => a - b);
  const at = (p) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1]} ms (${sorted.length} decisions)`;
};
// The first seconds include the JIT warming up and the first fetches of every partition.
const WARMUP_MS = 5000;
const steady = latencies.filter((l) => l.atMs >= started + WARMUP_MS);
const achieved = Math.round((produced + runaways * (LIMIT + 1)) / elapsed);
const report = `# Detector — event → decision through Kafka

Reproduce (local stack up, after \`npm run build\`): \`node bench/detector-kafka.mjs ${rate} ${seconds}\`

The built detector service in its own namespace; events produced to \`agent.events.v1\` by one
kafkajs producer in ${TICK_MS} ms batches (${BACKGROUND_AGENTS.toLocaleString("en-US")} background agents, each well under the limit, plus a
new runaway agent every ${RUNAWAY_EVERY_MS} ms sending ${LIMIT + 1} calls at once against a limit of ${LIMIT} per 10 s); latency
= arrival of the decision on \`agent.decisions.v1\` at a consumer minus the trigger event's time,
stamped when it was produced (both Kafka hops included).

## Machine

${machineDetails()}

## Results

- offered: ${rate.toLocaleString("en-US")} events/s for ${seconds} s; achieved ${achieved.toLocaleString("en-US")} events/s (producer fell behind its ${TICK_MS} ms schedule by up to ${lagMs} ms)
- decisions: ${latencies.length} of ${runaways} runaways
- event → decision, all: **${percentiles(latencies)}**
- event → decision after the first ${WARMUP_MS / 1000} s: **${percentiles(steady)}** (goal: p99 < 100 ms at 10,000 events/s)
`;
writeFileSync(join(root, "bench/results/detector-kafka.md"), report);
process.stdout.write(report);
