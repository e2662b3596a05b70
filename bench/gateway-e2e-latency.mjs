// Trigger-to-refusal latency of the gateway kit over the real stack: the example gateway,
// ingest, detector (burst rule) and revoker run as separate processes, as in test/gateway-end-to-end.
// For each of RUNS runaway agents: BURST+1 calls through the gateway (the last triggers the
// rule), then calls every POLL_MS until the gateway answers 403. The figure is the time from
// the answer to the triggering call (its event already acknowledged by Kafka) to that 403.
//
// Run (stack up, after npm run build): node bench/gateway-e2e-latency.mjs [runs]
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
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

const RUNS = Number(process.argv[2] ?? 30);
const BURST = 5;
const POLL_MS = 5;
const namespace = `b-gw-${randomBytes(4).toString("hex")}`;
const names = createNames(namespace);
const dataDir = mkdtempSync(join(tmpdir(), "warden-gw-bench-"));
const logger = createLogger({ level: "warn", service: "bench" });
const children = [];

function start(entry, env) {
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      WARDEN_LOG_LEVEL: "warn",
      WARDEN_OPS_PORT: "0",
      WARDEN_NAMESPACE: namespace,
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  return child;
}

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function call(port, agentId) {
  const response = await globalThis.fetch(
    `http://127.0.0.1:${port}/tools/crm.contacts.read`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer key-${agentId}`,
        "x-agent-id": agentId,
        "content-type": "application/json",
      },
      body: "{}",
    },
  );
  await response.arrayBuffer();
  return response.status;
}

async function runaway(port, agentId) {
  for (let i = 0; i <= BURST; i += 1) {
    const status = await call(port, agentId);
    if (status !== 200)
      throw new Error(`call ${i} of ${agentId} answered ${status}`);
  }
  const triggered = performance.now();
  for (;;) {
    if ((await call(port, agentId)) === 403)
      return performance.now() - triggered;
    if (performance.now() - triggered > 60_000)
      throw new Error(`${agentId} never refused`);
    await sleep(POLL_MS);
  }
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const kafkaConfig = readKafkaConfig(process.env);
const kafka = createKafka({ config: kafkaConfig, logger });
const admin = await connectAdmin(kafka, kafkaConfig);
await ensureTopics(admin, names);
const nats = await connectNats({
  config: readNatsConfig(process.env),
  logger,
  name: "gw-bench",
});
await ensureDecisionsStream(await nats.jetstreamManager(), names);
const receiver = createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(202).end());
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const revokerPort = await freePort();
const gatewayPort = await freePort();
start("services/ingest/dist/main.js", {});
start("services/detector/dist/main.js", {
  DETECTOR_BURST_MAX_CALLS: String(BURST),
  DETECTOR_BURST_WINDOW: "10s",
});
start("services/revoker/dist/main.js", {
  REVOKER_ISSUER: `http://127.0.0.1:${revokerPort}`,
  REVOKER_HTTP_PORT: String(revokerPort),
  REVOKER_SIGNING_KEY_FILE: join(dataDir, "signing-key.json"),
  REVOKER_PUSH_URL: `http://127.0.0.1:${receiver.address().port}/events`,
});
start("sdk/gateway/dist/examples/tool-gateway.js", {
  GATEWAY_PORT: String(gatewayPort),
  GATEWAY_SPOOL_DIR: join(dataDir, "spool"),
});

try {
  for (;;) {
    const ready = await globalThis
      .fetch(`http://127.0.0.1:${gatewayPort}/readyz`)
      .catch(() => undefined);
    if (ready?.ok) break;
    await sleep(200);
  }
  const warmUp = await runaway(gatewayPort, `agent-warm-up-${namespace}`);
  const samples = [];
  let disrupted = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const ms = await runaway(gatewayPort, `agent-runaway-${run}-${namespace}`);
    console.log(
      `run ${run}: ${ms === undefined ? "not refused within 60 s" : `${ms.toFixed(1)} ms`}`,
    );
    if (ms === undefined) disrupted += 1;
    else samples.push(ms);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const format = (ms) => `${ms.toFixed(0)} ms`;
  console.log(`warm-up (services starting): ${format(warmUp)}`);
  console.log(
    `runs: ${RUNS} (${disrupted} not refused within 60 s, left out), poll every ${POLL_MS} ms`,
  );
  console.log(
    `min ${format(sorted[0])} | p50 ${format(percentile(sorted, 50))} | p90 ${format(percentile(sorted, 90))} | p99 ${format(percentile(sorted, 99))} | max ${format(sorted.at(-1))}`,
  );
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode === null ? child.once("exit", resolve) : resolve(),
        ),
    ),
  );
  receiver.close();
  await (
    await nats.jetstreamManager()
  ).streams
    .delete(names.decisionsStream)
    .catch(() => undefined);
  await nats.drain();
  await admin
    .deleteTopics({ topics: Object.values(names.topics) })
    .catch(() => undefined);
  await admin.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}
