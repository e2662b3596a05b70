import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import { connectAdmin, createKafka, ensureTopics } from "@warden/shared";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

const root = new URL("..", import.meta.url).pathname;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

interface RuleGroup {
  readonly name: string;
  readonly rules: readonly {
    name: string;
    health: string;
    lastError?: string;
  }[];
}

/**
 * A real Prometheus (Debian's package; `bash deploy/check.sh` installs it) scrapes a running
 * ingest service with Warden's own recording and alert rules loaded, so the series the
 * dashboards and alerts read are checked against what the service really exposes.
 */
describe("Prometheus scraping the ingest service", () => {
  const names = uniqueNames("prom-scrape");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/, "");
  const dir = mkdtempSync(join(tmpdir(), "warden-prometheus-"));
  let kafka: Kafka;
  let admin: Admin;
  let ingest: RunningService;
  let prometheus: ChildProcess;
  let prometheusOutput = "";
  let api = "";
  let produced = 0;

  /** Sends the example events to the audit topic; returns how many. */
  async function produceExamples(): Promise<number> {
    const events = readFileSync(
      join(root, "shared/contracts/examples/audit-events.ndjson"),
      "utf8",
    )
      .split("\n")
      .filter((line) => line.trim() !== "");
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: events.map((value) => ({ key: "gateway-test", value })),
    });
    await producer.disconnect();
    return events.length;
  }

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(
      `${api}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    const body = (await response.json()) as { data: { result: Sample[] } };
    return body.data.result;
  }

  beforeAll(async () => {
    const found = spawnSync("prometheus", ["--version"]);
    if (found.error)
      throw new Error(
        "prometheus is not installed: run `bash deploy/check.sh` (installs Debian's prometheus)",
      );
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);

    const opsPort = await freePort();
    ingest = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
    });
    await eventually(`ingest ready\n${ingest.output()}`, async () => {
      const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      return ready ? true : undefined;
    });

    // The committed rules, so a rule that errors against real series fails here.
    cpSync(join(root, "deploy/prometheus/rules"), join(dir, "rules"), {
      recursive: true,
    });
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        "rule_files: [rules/*.yml]",
        "scrape_configs:",
        "  - job_name: warden-ingest",
        `    static_configs: [{ targets: ["127.0.0.1:${opsPort}"] }]`,
        "",
      ].join("\n"),
    );
    const promPort = await freePort();
    api = `http://127.0.0.1:${promPort}`;
    prometheus = spawn("prometheus", [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    prometheus.stderr?.on("data", (chunk: Buffer) => {
      prometheusOutput += chunk.toString();
    });
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.on("exit", resolve));
      prometheus.kill("SIGTERM");
      await exited;
    }
    await ingest?.stop();
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sees the target up and the ingest counters with their real values", async () => {
    const up = await eventually(
      `up{job="warden-ingest"} == 1\n${prometheusOutput}`,
      async () => {
        const samples = await query('up{job="warden-ingest"}').catch(() => []);
        return samples[0]?.value[1] === "1" ? samples : undefined;
      },
    );
    expect(up).toHaveLength(1);
    // Two rounds: the counter's series is born at its first increment (prom-client does not
    // export a labelled series before), so only the second round shows up in rate().
    let received: Sample[] = [];
    for (const round of [1, 2]) {
      produced += await produceExamples();
      received = await eventually(
        `round ${round}: warden_ingest_received_total reaching ${produced}\n${ingest.output()}`,
        async () => {
          const samples = await query(
            'warden_ingest_received_total{service="ingest",source="kafka"}',
          );
          return Number(samples[0]?.value[1]) === produced
            ? samples
            : undefined;
        },
      );
    }
    expect(received[0]?.metric).toMatchObject({
      job: "warden-ingest",
      service: "ingest",
      source: "kafka",
    });

    // Series the operations dashboard reads: lag per partition and process resources.
    for (const series of [
      'warden_ingest_consumer_lag_messages{service="ingest"}',
      'warden_process_cpu_seconds_total{service="ingest"}',
      'warden_process_resident_memory_bytes{service="ingest"}',
      'warden_nodejs_heap_size_used_bytes{service="ingest"}',
      'warden_nodejs_eventloop_lag_p99_seconds{service="ingest"}',
    ])
      expect((await query(series)).length, series).toBeGreaterThan(0);
  });

  it("evaluates Warden's recording and alert rules against the real series without errors", async () => {
    const recorded = await eventually(
      "source:warden_ingest_received:rate5m recorded",
      async () => {
        const samples = await query(
          'source:warden_ingest_received:rate5m{source="kafka"}',
        );
        return samples.length > 0 ? samples : undefined;
      },
    );
    expect(Number(recorded[0]?.value[1])).toBeGreaterThan(0);

    const lag = await query(
      'service:warden_consumer_lag_messages:sum{service="ingest"}',
    );
    expect(lag).toHaveLength(1);

    // Health is "unknown" until a rule's first evaluation.
    const groups = await eventually("every rule evaluated", async () => {
      const response = await fetch(`${api}/api/v1/rules`);
      const { data } = (await response.json()) as {
        data: { groups: RuleGroup[] };
      };
      const evaluated = data.groups
        .flatMap((group) => group.rules)
        .every((rule) => rule.health !== "unknown");
      return evaluated ? data.groups : undefined;
    });
    expect(groups.map((group) => group.name).sort()).toEqual([
      "warden-alerts",
      "warden-recording",
    ]);
    const unhealthy = groups
      .flatMap((group) => group.rules)
      .filter((rule) => rule.health !== "ok");
    expect(unhealthy).toEqual([]);
  });
});
