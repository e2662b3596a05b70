import {
  Counter,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";
import { REJECTION } from "./core/accept.js";

/** Every metric of the ingest service, declared once (see services/ingest/README.md). */
export function createIngestMetrics(): {
  registry: Registry;
  received: Counter<"source">;
  accepted: Counter;
  rejected: Counter<"reason">;
  batchSeconds: Histogram;
} {
  const registry = createRegistry("ingest");
  const received = new Counter({
    name: "warden_ingest_received_total",
    help: "Messages received",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const accepted = new Counter({
    name: "warden_ingest_accepted_total",
    help: "Events accepted and forwarded",
    registers: [registry],
  });
  const rejected = new Counter({
    name: "warden_ingest_rejected_total",
    help: "Messages dead-lettered, by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of Object.values(REJECTION)) rejected.labels(reason);
  const batchSeconds = new Histogram({
    name: "warden_ingest_batch_duration_seconds",
    help: "Time to process, forward and commit one batch",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, received, accepted, rejected, batchSeconds };
}
