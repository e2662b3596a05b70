// The gateway kit's hot path, in-process: mayAct against a set of 10 000 revoked agents, the
// event builder (schema-validated), and the shipper's spool (append + fdatasync per batch).
// Then the shipper end to end against the real local Kafka: events acknowledged per second.
//
// Run (stack up, after npm run build): node bench/gateway-hot-path.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  ensureTopics,
  readKafkaConfig,
} from "@warden/shared";
import {
  createEventBuilder,
  createKafkaSink,
  createRevocationSet,
  createShipper,
  openSpool,
} from "@warden/gateway-sdk";

function time(label, iterations, body) {
  body(Math.min(iterations, 10_000)); // warm the JIT
  const started = performance.now();
  body(iterations);
  const ms = performance.now() - started;
  const perOp = (ms * 1e6) / iterations;
  console.log(
    `${label}: ${perOp < 1000 ? `${perOp.toFixed(0)} ns` : `${(perOp / 1000).toFixed(2)} µs`}/op (${iterations} ops)`,
  );
}

const set = createRevocationSet();
const now = Date.now();
for (let i = 0; i < 10_000; i += 1)
  set.apply({
    version: 1,
    action: "revoke",
    tenant: "acme",
    agent_id: `revoked-${i}`,
    credential_ids: [`key-${i}`],
    decision_id: `d-${i}`,
    reason: "burst",
    issued_at: new Date(now).toISOString(),
    expires_at: null,
  });
let denied = 0;
time("mayAct, allowed agent + credential", 5_000_000, (n) => {
  for (let i = 0; i < n; i += 1)
    if (!set.mayAct("acme", `calm-${i & 1023}`, "key-x", now).allowed)
      denied += 1;
});
time("mayAct, revoked agent", 5_000_000, (n) => {
  for (let i = 0; i < n; i += 1)
    if (!set.mayAct("acme", `revoked-${i & 1023}`, undefined, now).allowed)
      denied += 1;
});

const builder = createEventBuilder({ tenant: "acme", gateway: "bench" });
const input = {
  agent: { id: "agent-1", kind: "support-bot" },
  credential: { id: "key-1", type: "api_key" },
  action: {
    name: "crm.contacts.read",
    verb: "read",
    target: "/tools/crm.contacts.read",
  },
  resource: { id: "crm:contacts", sensitivity: "confidential" },
  outcome: "success",
  status_code: 200,
  bytes_out: 1234,
  duration_ms: 1.5,
};
time("build() (ids, time, schema check, size check)", 200_000, (n) => {
  for (let i = 0; i < n; i += 1) builder.build(input);
});

const directory = mkdtempSync(join(tmpdir(), "warden-gw-hot-"));
const spool = await openSpool({ directory, maxBytes: 1024 ** 3 });
const payloads = Array.from({ length: 500 }, () =>
  Buffer.from(JSON.stringify(builder.build(input))),
);
const spoolStarted = performance.now();
for (let batch = 0; batch < 200; batch += 1) await spool.append(payloads);
const spoolSeconds = (performance.now() - spoolStarted) / 1000;
console.log(
  `spool append, 500-event batches with fdatasync: ${Math.round(100_000 / spoolSeconds)} events/s, ${((spoolSeconds * 1000) / 200).toFixed(2)} ms/batch`,
);
await spool.close();
rmSync(directory, { recursive: true, force: true });

const kafkaConfig = readKafkaConfig(process.env);
const names = createNames(`b-gw-hot-${randomBytes(4).toString("hex")}`);
const admin = await connectAdmin(
  createKafka({
    config: kafkaConfig,
    logger: createLogger({ level: "warn", service: "bench" }),
  }),
  kafkaConfig,
);
await ensureTopics(admin, names);
const shipDirectory = mkdtempSync(join(tmpdir(), "warden-gw-ship-"));
const shipper = createShipper({
  sink: createKafkaSink({
    brokers: kafkaConfig.brokers,
    topic: names.topics.audit,
    logger: pino({ level: "warn" }),
  }),
  spoolDirectory: shipDirectory,
  logger: pino({ level: "warn" }),
});
await shipper.start();
const EVENTS = 100_000;
const CONCURRENT = 2_000; // calls in flight at the gateway at once
const latencies = [];
const shipStarted = performance.now();
for (let from = 0; from < EVENTS; from += CONCURRENT) {
  await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const event = builder.build({
        ...input,
        agent: { id: `agent-${(from + i) % 97}` },
      });
      const started = performance.now();
      await shipper.ship(event);
      latencies.push(performance.now() - started);
    }),
  );
}
const shipSeconds = (performance.now() - shipStarted) / 1000;
latencies.sort((a, b) => a - b);
const p = (q) => latencies[Math.ceil(q * latencies.length) - 1].toFixed(1);
console.log(
  `shipper → Kafka (acks all, ${CONCURRENT} in flight): ${Math.round(EVENTS / shipSeconds)} events/s; ship() until acked p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; spooled ${shipper.stats().spoolBytes} bytes`,
);
await shipper.stop();
await admin.deleteTopics({ topics: Object.values(names.topics) });
await admin.disconnect();
rmSync(shipDirectory, { recursive: true, force: true });
if (denied === 0) throw new Error("the revoked agents were never refused");
