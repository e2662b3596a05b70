import {
  Counter,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";

export const DELIVERY_FAILURE_KINDS = ["retriable", "permanent"] as const;

/** Every metric of the revoker, declared once (see services/revoker/README.md). */
export function createRevokerMetrics(): {
  registry: Registry;
  delivered: Counter;
  failures: Counter<"kind">;
  skipped: Counter;
  invalid: Counter;
  pushSeconds: Histogram;
} {
  const registry = createRegistry("revoker");
  const delivered = new Counter({
    name: "warden_revoker_sets_delivered_total",
    help: "SETs the receiver accepted (202)",
    registers: [registry],
  });
  const failures = new Counter({
    name: "warden_revoker_delivery_failures_total",
    help: "Failed SET deliveries, by kind (retriable or permanent)",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  for (const kind of DELIVERY_FAILURE_KINDS) failures.labels(kind);
  const skipped = new Counter({
    name: "warden_revoker_decisions_skipped_total",
    help: "Decisions acknowledged without action (not revoke)",
    registers: [registry],
  });
  const invalid = new Counter({
    name: "warden_revoker_decisions_invalid_total",
    help: "Decision messages that are not valid JSON decisions (terminated)",
    registers: [registry],
  });
  const pushSeconds = new Histogram({
    name: "warden_revoker_push_duration_seconds",
    help: "Time of one RFC 8935 push, answered or failed",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, delivered, failures, skipped, invalid, pushSeconds };
}
