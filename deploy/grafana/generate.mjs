// Writes Warden's Grafana dashboards (dashboards as code with @grafana/grafana-foundation-sdk).
//   node deploy/grafana/generate.mjs [out-dir]   (default: deploy/grafana/dashboards)
// The JSON is committed; deploy/check.sh regenerates it to a temp dir and fails on any drift.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "prettier";
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  RowBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

/** Every panel reads the Prometheus picked in the dashboard's `datasource` variable. */
const datasource = { type: "prometheus", uid: "${datasource}" };
const rate = (metric, by) =>
  `sum by (${by}) (rate(${metric}[$__rate_interval]))`;
const p99 = (metric, by) =>
  `histogram_quantile(0.99, sum by (${[...by, "le"].join(", ")}) (rate(${metric}_bucket[$__rate_interval])))`;

function query(expr, legend) {
  return new DataqueryBuilder().expr(expr).legendFormat(legend);
}

/** A time series panel; `queries` are [expr, legend] pairs. */
function timeseries({
  title,
  description,
  unit = "short",
  queries,
  width = 12,
}) {
  const panel = new TimeseriesPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .min(0)
    .span(width)
    .height(8);
  for (const [expr, legend] of queries) panel.withTarget(query(expr, legend));
  return panel;
}

function stat({ title, description, unit = "short", expr, noValue }) {
  const panel = new StatPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .span(6)
    .height(4)
    .withTarget(query(expr, title));
  return noValue ? panel.noValue(noValue) : panel;
}

function dashboard(uid, title, description) {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["warden"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(
      new DatasourceVariableBuilder("datasource")
        .label("Prometheus")
        .type("prometheus"),
    );
}

function socOverview() {
  return dashboard(
    "warden-soc-overview",
    "Warden / SOC overview",
    "What agents are doing and what Warden decided and revoked. No panel is per agent: agent ids are never metric labels (per-agent detail is in ClickHouse).",
  )
    .withRow(new RowBuilder("Activity"))
    .withPanel(
      stat({
        title: "Events/s",
        description: "Events accepted by ingest, all sources",
        unit: "reqps",
        expr: "sum(rate(warden_ingest_accepted_total[$__rate_interval]))",
      }),
    )
    .withPanel(
      stat({
        title: "Active agents",
        description: "Agents seen by the detector in the last 5 minutes",
        expr: "sum(warden_detector_active_agents)",
        noValue: "needs warden_detector_active_agents",
      }),
    )
    .withPanel(
      stat({
        title: "Agents with a baseline",
        description:
          "Agents whose own baseline is trusted, as of the last refresh",
        expr: "max(warden_baseline_agents_with_baseline)",
      }),
    )
    .withPanel(
      stat({
        title: "Revocations (1h)",
        description: "Revoke decisions in the last hour",
        expr: 'sum(increase(warden_detector_decisions_total{action="revoke"}[1h]))',
      }),
    )
    .withRow(new RowBuilder("Decisions"))
    .withPanel(
      timeseries({
        title: "Decisions by action",
        description: "Decisions published per second: alert, step_up, revoke",
        unit: "ops",
        queries: [
          [rate("warden_detector_decisions_total", "action"), "{{action}}"],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Decisions by detector",
        description:
          "Decisions per second by the detector that fired (needs a detector label on warden_detector_decisions_total)",
        unit: "ops",
        queries: [
          [rate("warden_detector_decisions_total", "detector"), "{{detector}}"],
        ],
      }),
    )
    .withRow(new RowBuilder("Revocations"))
    .withPanel(
      timeseries({
        title: "SETs issued by event type",
        description: "Security Event Tokens signed and queued for delivery",
        unit: "ops",
        queries: [
          [
            rate("warden_revoker_sets_issued_total", "event_type"),
            "{{event_type}}",
          ],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Deliveries by receiver and outcome",
        description:
          "Delivery attempts per second; anything but delivered is retried or lost",
        unit: "ops",
        queries: [
          [
            rate("warden_revoker_deliveries_total", "receiver, outcome"),
            "{{receiver}} {{outcome}}",
          ],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Delivery latency p99",
        description:
          "Decision queued to receiver accepted the SET, by method (per receiver needs a receiver label on the histogram)",
        unit: "s",
        queries: [
          [
            p99("warden_revoker_delivery_latency_seconds", ["method"]),
            "{{method}} p99",
          ],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Receiver circuits and queues",
        description:
          "Circuit state per receiver (0 closed, 1 half-open, 2 open) and SETs waiting per stream",
        queries: [
          [
            "max by (receiver) (warden_revoker_circuit_state)",
            "circuit {{receiver}}",
          ],
          [
            "sum by (stream_id) (warden_revoker_queue_depth)",
            "queued {{stream_id}}",
          ],
        ],
      }),
    );
}

function operations() {
  return dashboard(
    "warden-operations",
    "Warden / operations",
    "Health of the four services: lag, throughput, errors and resources.",
  )
    .withRow(new RowBuilder("Pipeline"))
    .withPanel(
      timeseries({
        title: "Consumer lag",
        description:
          "Messages behind the high watermark, per service (recording rule)",
        queries: [["service:warden_consumer_lag_messages:sum", "{{service}}"]],
      }),
    )
    .withPanel(
      timeseries({
        title: "Throughput",
        description: "Messages per second through each stage",
        unit: "ops",
        queries: [
          [
            rate("warden_ingest_received_total", "source"),
            "ingest received {{source}}",
          ],
          [
            rate("warden_baseline_rows_inserted_total", "table"),
            "baseline rows {{table}}",
          ],
          [
            "sum(rate(warden_detector_events_total[$__rate_interval]))",
            "detector events",
          ],
          [
            rate("warden_revoker_decisions_total", "outcome"),
            "revoker decisions {{outcome}}",
          ],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Errors",
        description:
          "Dead letters, failed inserts and refreshes, invalid decisions, failed deliveries",
        unit: "ops",
        queries: [
          [
            rate("warden_ingest_rejected_total", "reason"),
            "ingest rejected {{reason}}",
          ],
          [
            rate("warden_baseline_insert_failures_total", "table"),
            "baseline insert failures {{table}}",
          ],
          [
            "sum(rate(warden_baseline_refresh_failures_total[$__rate_interval]))",
            "baseline refresh failures",
          ],
          [
            "sum(rate(warden_baseline_kv_publish_errors_total[$__rate_interval]))",
            "baseline KV publish errors",
          ],
          [
            "sum(rate(warden_detector_invalid_decisions_total[$__rate_interval]))",
            "detector invalid decisions",
          ],
          [
            'sum by (outcome) (rate(warden_revoker_deliveries_total{outcome!="delivered"}[$__rate_interval]))',
            "revoker deliveries {{outcome}}",
          ],
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: "Stage latency p99",
        description:
          "Ingest batch, ClickHouse insert and baseline refresh durations",
        unit: "s",
        queries: [
          [p99("warden_ingest_batch_duration_seconds", []), "ingest batch"],
          [
            p99("warden_baseline_insert_duration_seconds", ["table"]),
            "insert {{table}}",
          ],
          [
            p99("warden_baseline_refresh_duration_seconds", []),
            "baseline refresh",
          ],
          ["max(warden_baseline_age_seconds)", "baseline age"],
        ],
      }),
    )
    .withRow(new RowBuilder("Resources"))
    .withPanel(
      timeseries({
        title: "CPU per service",
        description: "CPU seconds per second (1 = one core)",
        queries: [
          [rate("warden_process_cpu_seconds_total", "service"), "{{service}}"],
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: "Memory per service",
        description: "Resident set size and V8 heap in use",
        unit: "bytes",
        queries: [
          [
            "sum by (service) (warden_process_resident_memory_bytes)",
            "{{service}} rss",
          ],
          [
            "sum by (service) (warden_nodejs_heap_size_used_bytes)",
            "{{service}} heap",
          ],
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: "Event loop lag p99",
        description: "A busy or blocked event loop delays every message",
        unit: "s",
        queries: [
          [
            "max by (service) (warden_nodejs_eventloop_lag_p99_seconds)",
            "{{service}}",
          ],
        ],
        width: 8,
      }),
    );
}

const outDir =
  process.argv[2] ?? new URL("dashboards", import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
for (const [file, builder] of [
  ["soc-overview.json", socOverview()],
  ["operations.json", operations()],
]) {
  // Formatted as the repository's prettier would, so `prettier --check .` and the drift check agree.
  const json = await format(JSON.stringify(builder.build()), {
    parser: "json",
  });
  writeFileSync(join(outDir, file), json);
}
