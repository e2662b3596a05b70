// Benchmark of the detector's pure scoring core (not a test: figures go to
// bench/results/detector.md). Usage:
//   npx tsc -b services/detector && node --expose-gc bench/detector-core.mjs [events] [agents] [idleAgents]
// 1. throughput: pre-built canonical events from `agents` agents (half with an agent baseline,
//    the rest on a peer baseline) scored by one engine on one thread, default policy.
// 2. idle heap: `idleAgents` agents each send one event; heap growth per agent after GC
//    (agent state, the credential index entry and the store's bookkeeping).
import { performance } from "node:perf_hooks";
import {
  agentBaselineKey,
  peerBaselineKey,
  VOCABULARY_DIMENSIONS,
} from "@warden/shared";
import {
  createScoringEngine,
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
} from "../services/detector/dist/index.js";
import { machineDetails } from "./lib/machine.mjs";

const totalEvents = Number(process.argv[2] ?? 2_000_000);
const agents = Number(process.argv[3] ?? 10_000);
const idleAgents = Number(process.argv[4] ?? 200_000);
const T0 = Date.parse("2026-11-23T00:00:00Z");
const verbs = ["read", "read", "read", "write", "export"];
const sensitivities = ["public", "internal", "internal", "confidential"];

function stats(median, mad, p99) {
  return { median, mad, p95: p99, p99, max: p99 };
}
function vocabulary(...values) {
  return {
    distinct: values.length,
    total: 1000,
    top: values.map((v) => [v, 100]),
  };
}
function baseline(scope) {
  const empty = Object.fromEntries(
    VOCABULARY_DIMENSIONS.map((d) => [d, vocabulary()]),
  );
  return {
    version: 1,
    scope,
    computedAtMs: T0,
    windowStartMs: T0 - 7 * 86_400_000,
    windowEndMs: T0,
    history: {
      events: 1e5,
      agents: 1,
      firstSeenMs: T0 - 7 * 86_400_000,
      lastSeenMs: T0,
      activeMinutes: 5e3,
      activeHours: 150,
    },
    trusted: true,
    ratePerMinute: stats(20, 5, 60),
    ratePerHour: stats(1000, 200, 3000),
    hourOfWeek: null,
    activeHoursOfDay: 0xffffff,
    bytesPerCall: stats(2000, 500, 20000),
    bytesPerHour: stats(2e6, 5e5, 2e7),
    bytesPerCallByVerb: {},
    bytesPerCallBySensitivity: {},
    deniedRate: 0.02,
    errorRate: 0.01,
    maxChainDepth: 2,
    vocabulary: {
      ...empty,
      actions: vocabulary("tool.read", "tool.write", "tool.export"),
      verbs: vocabulary("read", "write", "export"),
      resourceTypes: vocabulary("ticket", "contact"),
      sensitivities: vocabulary("public", "internal", "confidential"),
      sourceIps: vocabulary("10.0.0.1", "10.0.0.2"),
      scopes: vocabulary("crm:read"),
    },
  };
}

function event(agent, index, timeMs) {
  const verb = verbs[index % verbs.length];
  return {
    schema: "agent-event/v1",
    event_id: `e-${agent}-${index}`,
    time: new Date(timeMs).toISOString(),
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: "acme",
    agent: {
      id: `agent-${agent}`,
      kind: "support",
      owner: "owner@acme.example",
    },
    credential: { id: `key-${agent}`, type: "api_key", scopes: ["crm:read"] },
    action: { name: `tool.${verb}`, verb },
    resource: {
      type: index % 2 ? "ticket" : "contact",
      sensitivity: sensitivities[index % 4],
      id: `r-${index % 50}`,
    },
    outcome: index % 40 === 0 ? "denied" : "success",
    bytes_out: 500 + (index % 7) * 300,
    source: { ip: index % 3 ? "10.0.0.1" : "10.0.0.2" },
    delegation: [`agent-${agent}`],
    chain_depth: 1,
    chain_root: `agent-${agent}`,
    attributes: {},
  };
}

function engine(maxAgents) {
  return createScoringEngine({
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: DEFAULT_POLICY,
    maxAgents,
    idleEvictMs: 2 * 3_600_000,
  });
}

// 1. Throughput. Events arrive time-ordered, ~agents × 1 event/s of event time.
const events = [];
for (let i = 0; i < totalEvents; i++)
  events.push(
    event(
      i % agents,
      Math.floor(i / agents),
      T0 + Math.floor((i * 1000) / agents),
    ),
  );
const scoring = engine(agents * 2);
scoring.baselines.set(
  peerBaselineKey("acme", "support"),
  baseline({ level: "peer", tenant: "acme", agentKind: "support" }),
);
for (let a = 0; a < agents; a += 2)
  scoring.baselines.set(
    agentBaselineKey("acme", `agent-${a}`),
    baseline({
      level: "agent",
      tenant: "acme",
      agentId: `agent-${a}`,
      agentKind: "support",
    }),
  );
const decidedAt = new Date(T0).toISOString();
const warm = Math.min(100_000, Math.floor(totalEvents / 10));
for (let i = 0; i < warm; i++) scoring.observe(events[i], decidedAt);
const decisionsByAction = {};
const cpuStart = process.cpuUsage();
const started = performance.now();
for (let i = warm; i < totalEvents; i++) {
  const { decision } = scoring.observe(events[i], decidedAt);
  if (decision)
    decisionsByAction[decision.action] =
      (decisionsByAction[decision.action] ?? 0) + 1;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const scored = totalEvents - warm;
events.length = 0;

// 2. Idle heap per agent.
if (!globalThis.gc) throw new Error("run with node --expose-gc");
const idle = engine(idleAgents * 2);
globalThis.gc();
const heapBefore = process.memoryUsage().heapUsed;
for (let a = 0; a < idleAgents; a++)
  idle.observe(event(a, 0, T0 + a), decidedAt);
globalThis.gc();
const heapAfter = process.memoryUsage().heapUsed;
const bytesPerAgent = (heapAfter - heapBefore) / idle.agents;

const lines = [
  `- throughput: ${scored.toLocaleString("en-US")} events from ${agents.toLocaleString("en-US")} agents in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU → **${Math.round(scored / seconds).toLocaleString("en-US")} events/s wall, ${Math.round(scored / cpuSeconds).toLocaleString("en-US")} events per CPU-second** (one thread); decisions: ${JSON.stringify(decisionsByAction)}`,
  `- idle heap: ${idle.agents.toLocaleString("en-US")} agents → ${((heapAfter - heapBefore) / 1024 ** 2).toFixed(1)} MiB → **${Math.round(bytesPerAgent).toLocaleString("en-US")} bytes per idle agent** (${(bytesPerAgent / 1024).toFixed(2)} KiB)`,
];
process.stdout.write(`${machineDetails()}\n${lines.join("\n")}\n`);
