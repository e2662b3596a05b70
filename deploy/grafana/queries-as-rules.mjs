// Prints every PromQL query of the committed dashboards as a Prometheus rules file (JSON is
// YAML), so `promtool check rules` can reject a query that does not parse.
//   node deploy/grafana/queries-as-rules.mjs > /tmp/dashboard-queries.rules.yml
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = new URL("dashboards", import.meta.url).pathname;
const rules = [];
for (const file of readdirSync(dir).filter((name) => name.endsWith(".json"))) {
  const dashboard = JSON.parse(readFileSync(join(dir, file), "utf8"));
  for (const panel of dashboard.panels ?? [])
    for (const target of panel.targets ?? [])
      rules.push({
        record: `dashboard_query_${rules.length}`,
        // Grafana's range variable is not PromQL; any duration stands in for it.
        expr: target.expr.replaceAll("$__rate_interval", "5m"),
      });
}
console.log(JSON.stringify({ groups: [{ name: "dashboard-queries", rules }] }));
