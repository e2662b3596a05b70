import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createClickHouse,
  createKafka,
  ensureTopics,
  readClickHouseConfig,
  type WardenNames,
} from "@warden/shared";
import { generateTraffic } from "./support/baseline-traffic.js";
import { committedTotal } from "./support/kafka.js";
import {
  eventually,
  startService,
  type RunningService,
} from "./support/service.js";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";

interface Counts {
  readonly events: number;
  readonly distinct_events: number;
  readonly minute_calls: number;
  readonly hour_calls: number;
  readonly decisions: number;
  readonly revocations: number;
}

/** Table counts straight from the stored parts (no FINAL): repeats would show. */
async function counts(chdbPath: string): Promise<Counts> {
  const config = readClickHouseConfig({ CHDB_PATH: chdbPath });
  const clickhouse = await createClickHouse(config);
  try {
    const result = await clickhouse.query({
      query: `SELECT
        (SELECT count() FROM ${config.database}.events) AS events,
        (SELECT uniqExact(event_id) FROM ${config.database}.events) AS distinct_events,
        (SELECT sum(calls) FROM ${config.database}.events_per_minute) AS minute_calls,
        (SELECT sum(calls) FROM ${config.database}.events_per_hour) AS hour_calls,
        (SELECT count() FROM ${config.database}.decisions) AS decisions,
        (SELECT count() FROM ${config.database}.revocations) AS revocations`,
      format: "JSONEachRow",
    });
    const [row] = await result.json<Record<string, string | number>>();
    return Object.fromEntries(
      Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)]),
    ) as unknown as Counts;
  } finally {
    await clickhouse.close();
  }
}

function decision(index: number): Record<string, unknown> {
  return {
    schema: "agent-decision/v1",
    decision_id: `decision-${index}`,
    tenant: "acme",
    agent_id: `agent-${index % 3}`,
    action: "alert",
    risk: 0.5,
    at: new Date(Date.now() - index * 1000).toISOString(),
    reasons: [{ detector: "burst", score: 0.5, summary: "many calls" }],
  };
}

describe("baseline sinks over the real broker and embedded ClickHouse", () => {
  let kafka: Kafka;
  let admin: Admin;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await admin.disconnect();
  });

  async function setUp(label: string): Promise<{
    names: WardenNames;
    chdbPath: string;
    start: (env?: Record<string, string>) => RunningService;
  }> {
    const names = uniqueNames(label);
    const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
    const chdbPath = mkdtempSync(join(tmpdir(), `warden-${label}-`));
    await ensureTopics(admin, names);
    const running: RunningService[] = [];
    cleanups.push(async () => {
      for (const service of running) await service.stop();
      await admin
        .deleteTopics({ topics: Object.values(names.topics) })
        .catch(() => undefined);
      rmSync(chdbPath, { recursive: true, force: true });
    });
    return {
      names,
      chdbPath,
      start: (env = {}) => {
        const service = startService("services/baseline/dist/main.js", {
          WARDEN_NAMESPACE: namespace,
          WARDEN_OPS_PORT: "0",
          CHDB_PATH: chdbPath,
          BASELINE_REFRESH_INTERVAL: "1h",
          ...env,
        });
        running.push(service);
        return service;
      },
    };
  }

  async function produce(
    topic: string,
    values: readonly unknown[],
  ): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < values.length; start += 400) {
      await producer.send({
        topic,
        // Keyed by agent id, as ingest does: an agent's events stay on one partition.
        messages: values.slice(start, start + 400).map((value) => ({
          key: String(
            (value as { agent?: { id?: string } }).agent?.id ??
              JSON.stringify(value),
          ),
          value: JSON.stringify(value),
        })),
      });
    }
    await producer.disconnect();
  }

  /** Waits until the group committed `total` on `topic`; a timeout shows the service's log. */
  async function committed(
    names: WardenNames,
    topic: string,
    total: number,
    service: RunningService,
  ): Promise<void> {
    try {
      // A restarted member may wait out the killed one's session (KAFKA_SESSION_TIMEOUT)
      // and the group's rebalance before it is given partitions.
      await eventually(
        `${total} committed on ${topic}`,
        async () => {
          const done = await committedTotal(
            admin,
            names.groups.baseline,
            topic,
          );
          return done >= total ? done : undefined;
        },
        150_000,
      );
    } catch (error) {
      throw new Error(`${String(error)}\n${service.output()}`);
    }
  }

  const traffic = (agents: number, seed: number) =>
    generateTraffic(
      Array.from({ length: agents }, (_, i) => ({
        id: `agent-${i}`,
        kind: "worker",
        callsPerMinute: 4,
        everyNthMinute: 3,
        activeHours: Array.from({ length: 24 }, (_, hour) => hour),
        actions: [["work", 1]] as const,
        resources: ["r"],
        deniedProbability: 0,
        bytesPerCall: 100,
      })),
      { endMs: Date.now(), days: 1, seed, tenant: "acme" },
    );

  it("stores each record once when every message is delivered again", async () => {
    const { names, chdbPath, start } = await setUp("baseline-redeliver");
    const events = traffic(2, 1);
    const decisions = Array.from({ length: 30 }, (_, i) => decision(i));
    const revocations = Array.from({ length: 12 }, (_, i) => ({
      revocation_id: `revocation-${i}`,
      agent_id: `agent-${i}`,
      status: "delivered",
    }));
    await produce(names.topics.events, events);
    await produce(names.topics.decisions, decisions);
    await produce(names.topics.revocations, revocations);
    // Two messages that are not records: counted and skipped, never stored.
    await produce(names.topics.decisions, [{ schema: "nope" }]);
    await produce(names.topics.events, ["not an event"]);

    const first = start();
    await committed(names, names.topics.events, events.length + 1, first);
    await committed(names, names.topics.decisions, decisions.length + 1, first);
    await committed(names, names.topics.revocations, revocations.length, first);
    expect(await first.stop(), first.output()).toBe(0);

    // Re-deliver everything: without its committed offsets the group starts every topic
    // from the beginning (the sinks subscribe fromBeginning). One request, where rewinding
    // topic by topic had kafkajs join the group once per topic (~30 s).
    await admin.deleteGroups([names.groups.baseline]);
    const second = start();
    await committed(names, names.topics.events, events.length + 1, second);
    await committed(
      names,
      names.topics.decisions,
      decisions.length + 1,
      second,
    );
    await committed(
      names,
      names.topics.revocations,
      revocations.length,
      second,
    );
    expect(await second.stop(), second.output()).toBe(0);

    expect(await counts(chdbPath)).toEqual({
      events: events.length,
      distinct_events: events.length,
      minute_calls: events.length,
      hour_calls: events.length,
      decisions: decisions.length,
      revocations: revocations.length,
    });
  }, 300_000);

  it("loses and repeats nothing when killed with SIGKILL mid-insert and restarted", async () => {
    const { names, chdbPath, start } = await setUp("baseline-kill");
    const events = traffic(12, 2);
    await produce(names.topics.events, events);
    // Small batches so that inserts are under way when the process dies.
    const env = {
      BASELINE_SINK_MAX_BATCH_ROWS: "300",
      BASELINE_SINK_FLUSH_DELAY: "20ms",
      // The survivor waits out the victim's session: 15 s, not 30 s (a loaded machine's chDB
      // insert outlasted 6 s and had a baseline dropped from its group).
      KAFKA_SESSION_TIMEOUT: "15s",
    };
    const victim = start(env);
    await eventually("some batches committed", async () => {
      const done = await committedTotal(
        admin,
        names.groups.baseline,
        names.topics.events,
      );
      return done > 0 ? done : undefined;
    });
    victim.child.kill("SIGKILL");
    await new Promise((resolve) => victim.child.once("exit", resolve));
    const partial = await committedTotal(
      admin,
      names.groups.baseline,
      names.topics.events,
    );
    expect(partial, "killed before the end").toBeLessThan(events.length);

    const survivor = start(env);
    await committed(names, names.topics.events, events.length, survivor);
    expect(await survivor.stop(), survivor.output()).toBe(0);

    const stored = await counts(chdbPath);
    expect(stored.events).toBe(events.length);
    expect(stored.distinct_events).toBe(events.length);
    expect(stored.minute_calls).toBe(events.length);
    expect(stored.hour_calls).toBe(events.length);
  }, 300_000);
});
