import {
  Counter,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";

/** Every metric of the baseline service, declared once (see services/baseline/README.md). */
export function createBaselineMetrics(): {
  registry: Registry;
  inserted: Counter;
  unparseable: Counter;
  insertSeconds: Histogram;
} {
  const registry = createRegistry("baseline");
  const inserted = new Counter({
    name: "warden_baseline_events_inserted_total",
    help: "Canonical events inserted into the events table",
    registers: [registry],
  });
  const unparseable = new Counter({
    name: "warden_baseline_unparseable_total",
    help: "Messages skipped because they are not canonical event JSON",
    registers: [registry],
  });
  const insertSeconds = new Histogram({
    name: "warden_baseline_insert_duration_seconds",
    help: "Time to insert one batch into the events table",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, inserted, unparseable, insertSeconds };
}
