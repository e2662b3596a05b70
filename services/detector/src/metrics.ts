import { Counter, createRegistry, type Registry } from "@warden/shared";

/** Every metric of the detector service, declared once (see services/detector/README.md). */
export function createDetectorMetrics(): {
  registry: Registry;
  events: Counter;
  decisions: Counter<"action">;
  invalidDecisions: Counter;
} {
  const registry = createRegistry("detector");
  const events = new Counter({
    name: "warden_detector_events_total",
    help: "Canonical events observed",
    registers: [registry],
  });
  const decisions = new Counter({
    name: "warden_detector_decisions_total",
    help: "Decisions published, by action",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  decisions.labels("revoke");
  const invalidDecisions = new Counter({
    name: "warden_detector_invalid_decisions_total",
    help: "Decisions that failed the decision schema (a programming error) and were not published",
    registers: [registry],
  });
  return { registry, events, decisions, invalidDecisions };
}
