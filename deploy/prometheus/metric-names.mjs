// Fails when a rule or dashboard reads a metric no service exports (a typo, or a metric that
// was renamed), except the few written ahead of the services, listed below; and fails when one
// of those starts being exported, so the list stays true.
//   node deploy/prometheus/metric-names.mjs
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { collectDefaultMetrics, Registry } from "prom-client";

const root = new URL("../..", import.meta.url).pathname;

/** Read by rules or dashboards before any service exports them (deploy/README.md). */
const NOT_YET_EXPORTED = new Set([
  "warden_revoker_approval_oldest_pending_seconds",
]);

function exported() {
  const names = new Set();
  for (const service of readdirSync(join(root, "services"))) {
    const source = readFileSync(
      join(root, "services", service, "src/metrics.ts"),
      "utf8",
    );
    for (const [, name] of source.matchAll(/name: "(warden_[a-z0-9_]+)"/g))
      names.add(name);
  }
  // Node's process metrics, as shared/src/metrics.ts registers them.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "warden_" });
  for (const metric of registry.getMetricsAsArray()) names.add(metric.name);
  return names;
}

function files(dir, suffix) {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => readFileSync(join(dir, name), "utf8"));
}

/** Metric names in PromQL text; recording-rule names (with colons) are not metrics. */
function used(texts) {
  const names = new Set();
  for (const text of texts)
    for (const [name] of text.matchAll(/(?<![:\w])warden_[a-z0-9_]+(?![:\w])/g))
      names.add(name.replace(/_(bucket|sum|count)$/, ""));
  return names;
}

const have = exported();
const read = used([
  ...files(join(root, "deploy/prometheus/rules"), ".yml"),
  ...files(join(root, "deploy/grafana/dashboards"), ".json"),
]);
const problems = [
  ...[...read]
    .filter((name) => !have.has(name) && !NOT_YET_EXPORTED.has(name))
    .map(
      (name) =>
        `${name} is read by a rule or dashboard but no service exports it`,
    ),
  ...[...NOT_YET_EXPORTED]
    .filter((name) => have.has(name))
    .map((name) => `${name} is exported now: remove it from NOT_YET_EXPORTED`),
];
for (const problem of problems) console.error(`metric-names: ${problem}`);
if (problems.length > 0) process.exit(1);
console.log(
  `metric-names: ${read.size} metric names read by rules and dashboards, all exported or listed as not yet`,
);
