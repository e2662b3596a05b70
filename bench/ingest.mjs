// Ingest benchmark: the validation core alone, ingest (Kafka → validate → Kafka) against
// Kafka's own perf tools on the same broker, and the latency ingest adds at a fixed rate.
// Run: npm run bench:ingest (the stack must be up: npm run stack -- up). Writes
// bench/results/ingest.md. Not a test: figures depend on the machine and its load.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import {
  acceptAuditMessage,
  chunkBySize,
  classifyBatch,
  createDeduplicator,
} from "@warden/ingest";
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  ensureTopics,
  readKafkaConfig,
  sleep,
} from "@warden/shared";
import { machineDetails } from "./lib/machine.mjs";

const root = resolve(import.meta.dirname, "..");
const TOTAL = Number(process.env.BENCH_INGEST_EVENTS ?? 300_000);
const RATE = 10_000;
const LATENCY_SECONDS = 15;
const kafkaConfig = readKafkaConfig(process.env);
const logger = createLogger({ level: "error", service: "bench" });
const kafka = createKafka({ config: kafkaConfig, logger });
const brokers = kafkaConfig.brokers.join(",");

function auditEvent(index, extra = {}) {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `bench-${index.toString(36).padStart(10, "0")}-${RUN_ID}`,
    time: new Date().toISOString(),
    tenant: `tenant-${index % 7}`,
    agent: {
      id: `agent:bench/${index % 5000}`,
      kind: "bench-bot",
      owner: "ops@example.com",
    },
    credential: {
      id: `key-${index % 5000}`,
      type: "api_key",
      scopes: ["crm.read"],
    },
    action: {
      name: "crm.contacts.read",
      verb: "read",
      target: "https://crm.example.com/api",
    },
    resource: {
      id: `crm:contact/${index % 100_000}`,
      type: "contact",
      sensitivity: "confidential",
    },
    outcome: "success",
    status_code: 200,
    bytes_out: 1000 + (index % 5000),
    duration_ms: 12.5,
    source: { ip: "10.0.0.7", gateway: "gw-1" },
    attributes: extra,
  });
}
const RUN_ID = Date.now().toString(36);

function kafkaTools() {
  const dir = resolve(root, ".warden/bench/kafka-tools-3.9.1");
  execFileSync(
    "bash",
    [
      "-c",
      `[ -d "${dir}" ] || mvn -B -q -f bench/kafka-tools/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${dir}"`,
    ],
    { cwd: root, stdio: "inherit" },
  );
  return `${dir}/*`;
}

function javaTool(classpath, main, args) {
  return execFileSync("java", ["-Xmx512m", "-cp", classpath, main, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
}

function validationCore() {
  const messages = Array.from({ length: 100_000 }, (_, index) =>
    Buffer.from(auditEvent(index)),
  );
  const options = {
    maxEventBytes: 65_536,
    maxFutureSkewMs: 300_000,
    lateAfterMs: 300_000,
    nowMs: Date.now(),
  };
  for (const bytes of messages.slice(0, 20_000))
    acceptAuditMessage(bytes, options);
  const passes = 3;
  let start = performance.now();
  for (let pass = 0; pass < passes; pass += 1)
    for (const bytes of messages) acceptAuditMessage(bytes, options);
  const acceptRate =
    (passes * messages.length) / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let pass = 0; pass < passes; pass += 1) {
    const dedup = createDeduplicator({
      windowMs: 600_000,
      maxEntries: 1_000_000,
    });
    for (let offset = 0; offset < messages.length; offset += 1000)
      classifyBatch(messages.slice(offset, offset + 1000), options, dedup);
  }
  const classifyRate =
    (passes * messages.length) / ((performance.now() - start) / 1000);
  return { acceptRate, classifyRate, bytes: messages[0].length };
}

async function produceAll(topic, count) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const start = performance.now();
  for (let offset = 0; offset < count; offset += 5000) {
    const values = Array.from(
      { length: Math.min(5000, count - offset) },
      (_, index) => ({
        key: `agent:bench/${(offset + index) % 5000}`,
        value: auditEvent(offset + index),
      }),
    );
    for (const chunk of chunkBySize(values))
      await producer.send({ topic, messages: chunk, acks: -1 });
  }
  const seconds = (performance.now() - start) / 1000;
  await producer.disconnect();
  return count / seconds;
}

async function committed(admin, groupId, topic) {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets[0].partitions.reduce(
    (sum, partition) => sum + Math.max(0, Number(partition.offset)),
    0,
  );
}

function startIngest(namespace) {
  const child = spawn(process.execPath, ["services/ingest/dist/main.js"], {
    cwd: root,
    env: {
      ...process.env,
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      WARDEN_LOG_LEVEL: "error",
    },
    stdio: "ignore",
  });
  return child;
}

/** Ingest's steady rate: from its first commit to its last, so group joining is not counted. */
async function ingestThroughput(admin, names, count) {
  const child = startIngest(names.groups.ingest.replace(/-warden-ingest$/, ""));
  let first;
  for (;;) {
    const done = await committed(
      admin,
      names.groups.ingest,
      names.topics.audit,
    ).catch(() => 0);
    const now = performance.now();
    if (done > 0 && first === undefined) first = { done, now };
    if (done >= count) {
      child.kill("SIGTERM");
      return (count - first.done) / ((now - first.now) / 1000);
    }
    await sleep(50);
  }
}

function percentile(sorted, p) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** Sends at RATE for LATENCY_SECONDS to `inTopic`, timing each event until it is read from `outTopic`. */
async function latencyThrough(inTopic, outTopic) {
  const consumer = kafka.consumer({
    groupId: `${outTopic}-latency-${RUN_ID}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: outTopic, fromBeginning: false });
  const latencies = [];
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  void consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const sent = JSON.parse(message.value.toString()).attributes?.sent_ms;
        if (typeof sent === "number") latencies.push(now - sent);
      }
    },
  });
  while (!joined) await sleep(100);
  await sleep(2000);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const perTick = RATE / 100;
  const start = Date.now();
  let sent = 0;
  for (let tick = 0; tick < LATENCY_SECONDS * 100; tick += 1) {
    const due = start + tick * 10;
    if (Date.now() < due) await sleep(due - Date.now());
    const messages = Array.from({ length: perTick }, (_, index) => ({
      key: `agent:bench/${index}`,
      value: auditEvent(1e9 + sent + index, { sent_ms: Date.now() }),
    }));
    await producer.send({ topic: inTopic, messages, acks: -1 });
    sent += perTick;
  }
  const achievedRate = sent / ((Date.now() - start) / 1000);
  const deadline = Date.now() + 30_000;
  while (latencies.length < sent && Date.now() < deadline) await sleep(100);
  await producer.disconnect();
  await consumer.disconnect();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    achievedRate,
    received: sorted.length,
    sent,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

async function main() {
  const admin = await connectAdmin(kafka, kafkaConfig);
  const classpath = kafkaTools();
  const core = validationCore();
  console.log("validation core", core);

  const names = createNames(`bench-ingest-${RUN_ID}`);
  await ensureTopics(admin, names);
  const fillRate = await produceAll(names.topics.audit, TOTAL);
  console.log(
    "filled",
    TOTAL,
    "at",
    Math.round(fillRate),
    "events/s (kafkajs)",
  );

  const consumerPerf = javaTool(
    classpath,
    "org.apache.kafka.tools.ConsumerPerformance",
    [
      "--bootstrap-server",
      brokers,
      "--topic",
      names.topics.audit,
      "--messages",
      String(TOTAL),
      "--timeout",
      "60000",
      "--hide-header",
    ],
  );
  const fields = consumerPerf
    .trim()
    .split("\n")
    .at(-1)
    .split(",")
    .map((field) => field.trim());
  const perfConsumeRate = Number(fields[5]);
  const perfFetchRate = Number(fields[9]);
  console.log("kafka consumer perf", perfConsumeRate, perfFetchRate);

  const ingestRate = await ingestThroughput(admin, names, TOTAL);
  console.log("ingest", ingestRate);

  const scratch = createNames(`bench-producer-${RUN_ID}`);
  await ensureTopics(admin, scratch);
  const producerPerf = javaTool(
    classpath,
    "org.apache.kafka.tools.ProducerPerformance",
    [
      "--topic",
      scratch.topics.audit,
      "--num-records",
      String(TOTAL),
      "--record-size",
      String(core.bytes),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${brokers}`,
      "acks=all",
    ],
  );
  const perfProduceRate = Number(
    producerPerf
      .match(/([\d.]+) records\/sec/g)
      ?.at(-1)
      ?.split(" ")[0],
  );
  console.log("kafka producer perf", perfProduceRate);

  const latencyNames = createNames(`bench-latency-${RUN_ID}`);
  await ensureTopics(admin, latencyNames);
  const child = startIngest(`bench-latency-${RUN_ID}`);
  const throughIngest = await latencyThrough(
    latencyNames.topics.audit,
    latencyNames.topics.events,
  );
  child.kill("SIGTERM");
  const direct = await latencyThrough(
    scratch.topics.events,
    scratch.topics.events,
  );
  console.log("latency", throughIngest, direct);

  for (const each of [names, scratch, latencyNames])
    await admin
      .deleteTopics({ topics: Object.values(each.topics) })
      .catch(() => undefined);
  await admin.disconnect();

  const k = (rate) => `${Math.round(rate).toLocaleString("en-US")}`;
  const verdict = (ok) => (ok ? "met" : "**not met**");
  const results = `# Ingest benchmark

Command: \`npm run bench:ingest\` (stack up first: \`npm run stack -- up\`; \`BENCH_INGEST_EVENTS\` sets the count, default 300,000).
One run; every figure below comes from it, on one broker on this machine.

${machineDetails()}

Event: a realistic audit event v1 of ${core.bytes} bytes (5,000 agents, 7 tenants, unique ids).

| measure | events/s |
|---|---|
| validation core alone (\`acceptAuditMessage\`, one core) | ${k(core.acceptRate)} |
| validation + de-duplication (\`classifyBatch\`, batches of 1,000, one core) | ${k(core.classifyRate)} |
| Kafka ConsumerPerformance on the same topic (total / fetch only) | ${k(perfConsumeRate)} / ${k(perfFetchRate)} |
| Kafka ProducerPerformance, acks=all, same record size | ${k(perfProduceRate)} |
| **ingest: Kafka → validate, normalise, de-dup → Kafka, acks=all, committed** | **${k(ingestRate)}** |
| (filling the input topic with kafkajs, acks=all) | ${k(fillRate)} |

Ingest / ConsumerPerformance = ${(ingestRate / perfConsumeRate).toFixed(2)} (goal ≥ 0.5: ${verdict(ingestRate >= 0.5 * perfConsumeRate)});
ingest ≥ 50,000 events/s: ${verdict(ingestRate >= 50_000)}; validation core ≥ 300,000 events/s: ${verdict(core.acceptRate >= 300_000)}.

Latency at ${k(throughIngest.achievedRate)} events/s for ${LATENCY_SECONDS} s (send → read back by a consumer, same clock):

| path | received / sent | p50 ms | p99 ms |
|---|---|---|---|
| producer → agent.audit.v1 → ingest → agent.events.v1 → consumer | ${throughIngest.received} / ${throughIngest.sent} | ${throughIngest.p50} | ${throughIngest.p99} |
| producer → topic → consumer (no ingest) | ${direct.received} / ${direct.sent} | ${direct.p50} | ${direct.p99} |

Added p99 latency ≈ ${throughIngest.p99 - direct.p99} ms (goal < 50 ms: ${verdict(throughIngest.p99 - direct.p99 < 50)}).

Notes: ingest's rate is measured from its first commit to its last (group join excluded); it includes
producing every canonical event with acks=all and committing offsets after each batch, which the
perf consumer does not do. The machine has 2 cores shared by the broker, the benchmark's own
producer/consumer and ingest.
`;
  mkdirSync(resolve(root, "bench/results"), { recursive: true });
  writeFileSync(resolve(root, "bench/results/ingest.md"), results);
  console.log(results);
}

await main();
process.exit(0);
