import {
  Counter,
  Gauge,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";
import { REJECTION } from "./core/accept.js";
import type { Outcome } from "./core/classify.js";
import { MAPPED_FORMAT, type MappedFormat } from "./core/mappers/mapper.js";
import { HTTP_REFUSAL_REASONS } from "./core/request-guard.js";

/** Where a message entered Warden: a gateway producing to Kafka, or HTTP ingest. */
export type IngestSource = "kafka" | "http";

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/**
 * Every metric of the ingest service, declared once (see services/ingest/README.md).
 * In the counters, received = accepted + rejected + duplicates, per source, always.
 */
export function createIngestMetrics(
  registry: Registry = createRegistry("ingest"),
) {
  const received = new Counter({
    name: "warden_ingest_received_total",
    help: "Messages received, by where they entered Warden",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const accepted = new Counter({
    name: "warden_ingest_accepted_total",
    help: "Events accepted and forwarded",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: "warden_ingest_rejected_total",
    help: "Messages dead-lettered, by reason",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "warden_ingest_duplicates_total",
    help: "Events dropped because their event_id was seen within the de-duplication window",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const late = new Counter({
    name: "warden_ingest_late_total",
    help: "Accepted events flagged late (older than INGEST_LATE_AFTER on arrival)",
    registers: [registry],
  });
  for (const source of ["kafka", "http"] as const) {
    // prom-client only creates a series on its first change; a zero now lets rate() see the first event.
    received.labels(source).inc(0);
    accepted.labels(source).inc(0);
    duplicates.labels(source).inc(0);
    for (const reason of Object.values(REJECTION))
      rejected.labels(source, reason).inc(0);
  }
  const eventTimeSkewSeconds = new Histogram({
    name: "warden_ingest_event_time_skew_seconds",
    help: "Arrival time minus event time of accepted events (events ahead of the clock count as 0)",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86_400],
    registers: [registry],
  });
  const consumerLag = new Gauge({
    name: "warden_ingest_consumer_lag_messages",
    help: "Messages of agent.audit.v1 not yet processed, per partition",
    labelNames: ["partition"] as const,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: "warden_ingest_batch_size_messages",
    help: "Messages per processed batch",
    buckets: [1, 10, 50, 100, 500, 1000, 5000, 10_000],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "warden_ingest_batch_duration_seconds",
    help: "Time to process, forward and commit one batch",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const dedupEntries = new Gauge({
    name: "warden_ingest_dedup_window_entries",
    help: "Event ids currently remembered for de-duplication",
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: "warden_ingest_http_requests_total",
    help: "HTTP ingest requests, by response status code",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const httpRefused = new Counter({
    name: "warden_ingest_http_refused_total",
    help: "HTTP ingest requests refused before their lines were processed, by reason (caps, authentication, Origin/Host)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of HTTP_REFUSAL_REASONS) httpRefused.labels(reason).inc(0);
  const grpcRequests = new Counter({
    name: "warden_ingest_otlp_grpc_requests_total",
    help: "OTLP/gRPC TraceService/Export calls, by gRPC status: OK, UNAUTHENTICATED, INVALID_ARGUMENT (not OTLP, too many spans), UNAVAILABLE (rate limit, in-flight budget, a failed sink); grpc-js refuses bodies over the size cap itself",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  for (const code of [
    "OK",
    "UNAUTHENTICATED",
    "INVALID_ARGUMENT",
    "UNAVAILABLE",
  ])
    grpcRequests.labels(code).inc(0);

  const mappedRecords = new Counter({
    name: "warden_ingest_mapped_records_total",
    help: "Foreign records (CloudTrail, OTLP spans) by format and what they became: event, skipped (digest, Insights, non-GenAI span) or unmappable (dead-lettered)",
    labelNames: ["format", "outcome"] as const,
    registers: [registry],
  });
  for (const format of Object.values(MAPPED_FORMAT))
    for (const outcome of ["event", "skipped", "unmappable"])
      mappedRecords.labels(format, outcome).inc(0);

  /**
   * Counts one foreign document's records. Unmappable ones are also received and rejected
   * (source http) here, at the door: they never reach the sink that counts the rest.
   */
  function countMapped(
    format: MappedFormat,
    records: readonly { readonly outcome: { readonly kind: string } }[],
    deadLettered: number,
  ): void {
    let events = 0;
    let skipped = 0;
    for (const { outcome } of records)
      if (outcome.kind === "event") events++;
      else if (outcome.kind === "skipped") skipped++;
    mappedRecords.labels(format, "event").inc(events);
    mappedRecords.labels(format, "skipped").inc(skipped);
    mappedRecords.labels(format, "unmappable").inc(deadLettered);
    received.labels("http").inc(deadLettered);
    rejected.labels("http", REJECTION.unmappableRecord).inc(deadLettered);
  }

  /** Counts one processed batch's outcomes; call once the batch is forwarded. */
  function countOutcomes(
    outcomes: readonly { outcome: Outcome; source: IngestSource }[],
    nowMs: number,
  ): void {
    for (const { outcome, source } of outcomes) {
      received.labels(source).inc();
      if (outcome.kind === "accepted") {
        accepted.labels(source).inc();
        if (outcome.event.late) late.inc();
        eventTimeSkewSeconds.observe(
          Math.max(0, nowMs - outcome.event.time_ms) / 1000,
        );
      } else if (outcome.kind === "rejected") {
        rejected.labels(source, outcome.reason).inc();
      } else {
        duplicates.labels(source).inc();
      }
    }
  }

  return {
    registry,
    countOutcomes,
    countMapped,
    consumerLag,
    batchSize,
    batchSeconds,
    dedupEntries,
    httpRequests,
    httpRefused,
    grpcRequests,
  };
}
