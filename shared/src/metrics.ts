import { collectDefaultMetrics, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Summary, Registry } from "prom-client";

/** A registry per service, with Node's default process metrics under the `warden_` prefix. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "warden_" });
  return registry;
}
