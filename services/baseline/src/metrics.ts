import {
  Counter,
  Gauge,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";

export const TABLES = ["events", "decisions", "revocations"] as const;
export type SinkTable = (typeof TABLES)[number];

export const LEVELS = ["agent", "peer", "tenant"] as const;

/** Point-in-time values read at scrape time (STYLE.md §10). */
export interface BaselineGaugeSources {
  /** Messages behind the high watermark, per table's topic, at the last fetch. */
  lagByTable(): ReadonlyMap<SinkTable, number>;
  /** Trusted agent baselines in the last published refresh. */
  agentsWithBaseline(): number;
  /** When the last refresh was computed (epoch ms), or undefined before the first. */
  lastRefreshMs(): number | undefined;
}

export interface BaselineMetrics {
  readonly registry: Registry;
  readonly rowsInserted: Counter<"table">;
  readonly insertSeconds: Histogram<"table">;
  readonly insertFailures: Counter<"table">;
  readonly unparseable: Counter<"table">;
  readonly duplicatesSkipped: Counter<"table">;
  readonly refreshSeconds: Histogram;
  readonly refreshFailures: Counter;
  readonly baselinesPublished: Counter<"level">;
  readonly publishErrors: Counter;
  /** Binds the scrape-time gauges to the running service. */
  observe(sources: BaselineGaugeSources): void;
}

export interface RefreshMetrics {
  readonly refreshSeconds: Histogram;
  readonly refreshFailures: Counter;
  readonly baselinesPublished: Counter<"level">;
}

/**
 * The refresh's metrics, in the service's registry or in another host's (the all-in-one
 * refreshes the same baselines and counts them under the same names).
 */
export function createRefreshMetrics(registry: Registry): RefreshMetrics {
  const registers = [registry];
  return {
    refreshSeconds: new Histogram({
      name: "warden_baseline_refresh_duration_seconds",
      help: "Time to compute and publish every baseline once",
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    refreshFailures: new Counter({
      name: "warden_baseline_refresh_failures_total",
      help: "Baseline refreshes that failed (retried at the next interval)",
      registers,
    }),
    baselinesPublished: new Counter({
      name: "warden_baseline_published_total",
      help: "Baselines published (the KV bucket; in the all-in-one, its baselines table), by level (agent, peer, tenant)",
      labelNames: ["level"] as const,
      registers,
    }),
  };
}

/** Every metric of the baseline service, declared once (see services/baseline/README.md). */
export function createBaselineMetrics(): BaselineMetrics {
  const registry = createRegistry("baseline");
  let sources: BaselineGaugeSources | undefined;
  const registers = [registry];
  const rowsInserted = new Counter({
    name: "warden_baseline_rows_inserted_total",
    help: "Rows inserted into ClickHouse, by table",
    labelNames: ["table"] as const,
    registers,
  });
  const insertSeconds = new Histogram({
    name: "warden_baseline_insert_duration_seconds",
    help: "Time for ClickHouse to acknowledge one insert, by table",
    labelNames: ["table"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers,
  });
  const insertFailures = new Counter({
    name: "warden_baseline_insert_failures_total",
    help: "Inserts that failed and were retried (the sink pauses meanwhile), by table",
    labelNames: ["table"] as const,
    registers,
  });
  const unparseable = new Counter({
    name: "warden_baseline_unparseable_total",
    help: "Messages skipped because they are not the topic's JSON record, by table",
    labelNames: ["table"] as const,
    registers,
  });
  const duplicatesSkipped = new Counter({
    name: "warden_baseline_duplicates_skipped_total",
    help: "Re-delivered rows found already stored after a restart or rebalance, by table",
    labelNames: ["table"] as const,
    registers,
  });
  new Gauge({
    name: "warden_baseline_sink_lag_messages",
    help: "Messages between the sink's position and the high watermark, by table",
    labelNames: ["table"] as const,
    registers,
    collect() {
      this.reset();
      for (const [table, lag] of sources?.lagByTable() ?? [])
        this.set({ table }, lag);
    },
  });
  const { refreshSeconds, refreshFailures, baselinesPublished } =
    createRefreshMetrics(registry);
  new Gauge({
    name: "warden_baseline_agents_with_baseline",
    help: "Agents whose own baseline is trusted, as of the last refresh",
    registers,
    collect() {
      this.set(sources?.agentsWithBaseline() ?? 0);
    },
  });
  new Gauge({
    name: "warden_baseline_age_seconds",
    help: "Time since the published baselines were computed (-1 before the first refresh)",
    registers,
    collect() {
      const last = sources?.lastRefreshMs();
      this.set(last === undefined ? -1 : (Date.now() - last) / 1000);
    },
  });
  const publishErrors = new Counter({
    name: "warden_baseline_kv_publish_errors_total",
    help: "Baselines that could not be written to the KV bucket",
    registers,
  });
  return {
    registry,
    rowsInserted,
    insertSeconds,
    insertFailures,
    unparseable,
    duplicatesSkipped,
    refreshSeconds,
    refreshFailures,
    baselinesPublished,
    publishErrors,
    observe(next) {
      sources = next;
    },
  };
}
