// Revoker delivery benchmark over the real stack: the revoker runs as its own process with one
// push stream (REVOKER_PUSH_URL) pointing at an HTTP receiver in this process that answers 202.
//  1. latency: LATENCY_RUNS revoke decisions, one every GAP_MS; for each, the time from just
//     before the decision is published to JetStream to the moment its SET reaches the receiver.
//  2. throughput: BULK decisions published at once, each causing 3 SETs (session-revoked,
//     credential-change, account-disabled); SETs signed, queued and accepted per second.
//
// Run (stack up, after npm run build): node bench/revoker-delivery.mjs [latencyRuns] [bulk]
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { decodeJwt } from "jose";

const { fetch } = globalThis;
import {
  connectNats,
  createLogger,
  createNames,
  ensureDecisionsStream,
  readNatsConfig,
} from "@warden/shared";

const LATENCY_RUNS = Number(process.argv[2] ?? 300);
const BULK = Number(process.argv[3] ?? 2000);
const GAP_MS = 20;
const namespace = `b-rev-${randomBytes(4).toString("hex")}`;
const names = createNames(namespace);
const keyDir = mkdtempSync(join(tmpdir(), "warden-revoker-bench-"));
const logger = createLogger({ level: "warn", service: "bench" });

const arrivals = new Map(); // txn → [performance.now() of each SET]
const receiver = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    const at = performance.now();
    const txn = String(decodeJwt(body).txn);
    const list = arrivals.get(txn) ?? [];
    list.push(at);
    arrivals.set(txn, list);
    response.writeHead(202).end();
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/events`;

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const httpPort = await freePort();
const revoker = spawn(process.execPath, ["services/revoker/dist/main.js"], {
  env: {
    ...process.env,
    WARDEN_LOG_LEVEL: "warn",
    WARDEN_OPS_PORT: "0",
    WARDEN_NAMESPACE: namespace,
    REVOKER_HTTP_PORT: String(httpPort),
    REVOKER_ISSUER: `http://127.0.0.1:${httpPort}`,
    REVOKER_SIGNING_KEY_FILE: join(keyDir, "keys.json"),
    REVOKER_PUSH_URL: receiverUrl,
    REVOKER_PUSH_EVENTS: "session-revoked,credential-change,account-disabled",
    REVOKER_PUSH_CONCURRENCY: "64",
  },
  stdio: ["ignore", "inherit", "inherit"],
});

const connection = await connectNats({
  config: readNatsConfig(process.env),
  logger,
  name: "revoker-bench",
});
const js = connection.jetstream();
await ensureDecisionsStream(await connection.jetstreamManager(), names);
for (;;) {
  const up = await fetch(`http://127.0.0.1:${httpPort}/jwks.json`).then(
    (r) => r.ok,
    () => false,
  );
  if (up) break;
  if (revoker.exitCode !== null) throw new Error("revoker exited");
  await sleep(200);
}

function decision(id, agent, credentials) {
  return JSON.stringify({
    schema: "agent-decision/v1",
    decision_id: id,
    tenant: "bench",
    agent_id: agent,
    action: "revoke",
    risk: 0.9,
    at: new Date().toISOString(),
    credential_ids: credentials,
    reasons: [{ detector: "rate_spike", score: 0.9, summary: "bench" }],
  });
}

async function waitFor(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

const quantile = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

// Warm-up: the first decision also waits for the consumer and the push worker to start.
await js.publish(
  names.decisionSubject("bench", "warm"),
  decision("warm", "warm", []),
  { msgID: "warm" },
);
await waitFor(() => arrivals.has("warm"), 60_000);

// 1. Latency: one SET per decision (no credential ids → session-revoked and account-disabled; the first counts).
const latencies = [];
for (let run = 0; run < LATENCY_RUNS; run += 1) {
  const id = `lat-${run}`;
  const start = performance.now();
  await js.publish(
    names.decisionSubject("bench", `agent-${run}`),
    decision(id, `agent-${run}`, []),
    { msgID: id },
  );
  if (!(await waitFor(() => arrivals.has(id), 30_000)))
    throw new Error(`no SET for ${id}`);
  latencies.push(arrivals.get(id)[0] - start);
  await sleep(GAP_MS);
}
latencies.sort((a, b) => a - b);

// 2. Throughput: BULK decisions × 3 SETs.
const bulkStart = performance.now();
const publishes = [];
for (let index = 0; index < BULK; index += 1) {
  const id = `bulk-${index}`;
  publishes.push(
    js.publish(
      names.decisionSubject("bench", `bulk-${index}`),
      decision(id, `bulk-${index}`, [`key-${index}`]),
      { msgID: id },
    ),
  );
}
await Promise.all(publishes);
const publishedMs = performance.now() - bulkStart;
const expected = BULK * 3;
const countBulk = () => {
  let total = 0;
  for (let index = 0; index < BULK; index += 1)
    total += arrivals.get(`bulk-${index}`)?.length ?? 0;
  return total;
};
const complete = await waitFor(() => countBulk() >= expected, 600_000);
let last = 0;
for (let index = 0; index < BULK; index += 1)
  for (const at of arrivals.get(`bulk-${index}`) ?? [])
    last = Math.max(last, at);
const seconds = (last - bulkStart) / 1000;

const result = {
  latencyRuns: LATENCY_RUNS,
  latencyMs: {
    min: latencies[0].toFixed(1),
    p50: quantile(latencies, 0.5).toFixed(1),
    p90: quantile(latencies, 0.9).toFixed(1),
    p99: quantile(latencies, 0.99).toFixed(1),
    max: latencies.at(-1).toFixed(1),
  },
  bulkDecisions: BULK,
  bulkSets: countBulk(),
  complete,
  publishSeconds: (publishedMs / 1000).toFixed(2),
  bulkSeconds: seconds.toFixed(2),
  setsPerSecond: Math.round(countBulk() / seconds),
};
console.log(JSON.stringify(result, null, 2));

revoker.kill("SIGTERM");
await new Promise((resolve) => revoker.on("exit", resolve));
const manager = await connection.jetstreamManager();
for (const stream of [
  names.decisionsStream,
  `${namespace.toUpperCase().replaceAll("-", "_")}_WARDEN_SETS`,
  `KV_${namespace}-warden-ssf-streams`,
  `KV_${names.revokedAgentsBucket}`,
])
  await manager.streams.delete(stream).catch(() => undefined);
await connection.drain();
receiver.close();
rmSync(keyDir, { recursive: true, force: true });
