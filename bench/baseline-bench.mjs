// Benchmark of the baseline service's ClickHouse side on embedded chDB (not a test: figures go
// to bench/results/baseline.md). Usage:
//   npx tsc -b services/baseline && node bench/baseline-bench.mjs [agents] [eventsPerAgent] [batchRows]
// 1. sink: canonical events → rows → batched inserts into `events` (with both roll-up views).
// 2. refresh: every agent, peer-group and tenant baseline computed and encoded (no KV).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createClickHouse, encodeBaseline } from "@warden/shared";
import { buildModel } from "../services/baseline/dist/model/build-model.js";
import { queryAggregates } from "../services/baseline/dist/store/baseline-queries.js";
import { migrate } from "../services/baseline/dist/store/migrations.js";
import { eventRow } from "../services/baseline/dist/store/rows.js";
import { machineDetails } from "./lib/machine.mjs";

const agents = Number(process.argv[2] ?? 2_000);
const perAgent = Number(process.argv[3] ?? 250);
// The service's default BASELINE_SINK_MAX_BATCH_ROWS.
const batchRows = Number(process.argv[4] ?? 20_000);
const DAY = 86_400_000;
const end = Math.floor(Date.now() / 60_000) * 60_000;
const kinds = ["support", "etl", "coder", "sales", "ops"];
const actions = [
  "crm.read",
  "crm.write",
  "mail.send",
  "db.query",
  "s3.get",
  "s3.put",
  "gh.issue",
  "slack.post",
];
const verbs = ["read", "write", "export", "execute"];

function event(agent, index) {
  // Time-ordered like a live topic: event `index` of every agent falls in the same slice of
  // the 14-day window, so a batch touches one or two daily partitions.
  const timeMs =
    end -
    14 * DAY +
    Math.floor(((index + agent / agents) / perAgent) * 14 * DAY);
  const id = `agent-${agent}`;
  return {
    schema: "agent-event/v1",
    event_id: `${id}-${index}`,
    time: "",
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: `tenant-${agent % 10}`,
    agent: {
      id,
      kind: kinds[agent % kinds.length],
      instance: `pod-${agent % 50}`,
    },
    credential: { id: `${id}-key`, type: "api_key", scopes: ["a", "b"] },
    action: {
      name: actions[(agent + index) % actions.length],
      verb: verbs[index % verbs.length],
    },
    resource: {
      id: `res-${(agent * 31 + index) % 400}`,
      type: "table",
      sensitivity: "internal",
    },
    outcome: index % 50 === 0 ? "denied" : "success",
    bytes_out: 100 + ((index * 37) % 5000),
    source: { ip: `10.0.${agent % 250}.${index % 4}`, gateway: "gw-1" },
    delegation: [id],
    chain_depth: 1,
    chain_root: id,
    attributes: {},
  };
}

/** CPU time of the whole process (chDB's threads included) since `since`, in seconds. */
function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

console.log(machineDetails());
const path = mkdtempSync(join(tmpdir(), "warden-bench-"));
const clickhouse = await createClickHouse({
  database: "bench",
  chdbPath: path,
  user: "default",
  password: "",
});
try {
  await migrate(clickhouse, "bench");
  const total = agents * perAgent;
  let inserted = 0;
  let batch = [];
  const sinkStart = performance.now();
  const sinkCpu = process.cpuUsage();
  for (let index = 0; index < perAgent; index += 1) {
    for (let agent = 0; agent < agents; agent += 1) {
      batch.push(eventRow(event(agent, index)).row);
      if (batch.length === batchRows) {
        await clickhouse.insert({
          table: "bench.events",
          values: batch,
          format: "JSONEachRow",
        });
        inserted += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length > 0) {
    await clickhouse.insert({
      table: "bench.events",
      values: batch,
      format: "JSONEachRow",
    });
    inserted += batch.length;
  }
  const sinkSeconds = (performance.now() - sinkStart) / 1000;
  const sinkCpuSeconds = cpuSeconds(sinkCpu);
  console.log(
    JSON.stringify({
      stage: "sink",
      events: inserted,
      batchRows,
      seconds: sinkSeconds,
      eventsPerSecond: Math.round(total / sinkSeconds),
      cpuSeconds: sinkCpuSeconds,
      eventsPerCpuSecond: Math.round(total / sinkCpuSeconds),
    }),
  );

  const settings = {
    windowMs: 14 * DAY,
    refreshMs: 300_000,
    minHistoryEvents: 200,
    minHistorySpanMs: DAY,
    vocabularyTop: 16,
    minQuietHours: 4,
  };
  const refreshStart = performance.now();
  const refreshCpu = process.cpuUsage();
  let baselines = 0;
  let bytes = 0;
  let largest = 0;
  const window = { startMs: end - settings.windowMs, endMs: end };
  for (const level of ["agent", "peer", "tenant"]) {
    const levelStart = performance.now();
    const levelCpu = process.cpuUsage();
    const scopes = await queryAggregates(clickhouse, "bench", level, window, {
      vocabularyTop: 16,
    });
    for (const scope of scopes) {
      const size = encodeBaseline(
        buildModel(scope, {
          computedAtMs: end,
          windowStartMs: window.startMs,
          windowEndMs: end,
          settings,
        }),
      ).length;
      baselines += 1;
      bytes += size;
      largest = Math.max(largest, size);
    }
    console.log(
      JSON.stringify({
        stage: `refresh:${level}`,
        scopes: scopes.length,
        seconds: (performance.now() - levelStart) / 1000,
        cpuSeconds: cpuSeconds(levelCpu),
      }),
    );
  }
  console.log(
    JSON.stringify({
      stage: "refresh",
      baselines,
      seconds: (performance.now() - refreshStart) / 1000,
      cpuSeconds: cpuSeconds(refreshCpu),
      meanBytes: Math.round(bytes / baselines),
      largestBytes: largest,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
} finally {
  await clickhouse.close();
  rmSync(path, { recursive: true, force: true });
}
