import {
  Counter,
  Gauge,
  Histogram,
  createRegistry,
  type Registry,
} from "@warden/shared";

export const DELIVERY_OUTCOMES = [
  "delivered",
  "retry",
  "refused",
  "dead_lettered",
  "already_delivered",
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
export const DECISION_OUTCOMES = [
  "queued",
  "invalid",
  "retry",
  "dead_lettered",
  "redriven",
] as const;

type QueueDepthSource = () => Promise<
  readonly {
    readonly streamId: string;
    readonly kind: string;
    readonly depth: number;
  }[]
>;

/**
 * Every metric of the revoker, declared once (see services/revoker/README.md); the all-in-one
 * passes its own registry so one /metrics serves every stage.
 */
export function createRevokerMetrics(
  registry: Registry = createRegistry("revoker"),
) {
  const setsIssued = new Counter({
    name: "warden_revoker_sets_issued_total",
    help: "SETs signed and durably queued, by event type (last path segment of the URI)",
    labelNames: ["event_type"] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: "warden_revoker_deliveries_total",
    help: "SET delivery attempts by receiver and outcome",
    labelNames: ["receiver", "outcome"] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: "warden_revoker_sets_dropped_total",
    help: "SETs not queued or purged because their stream is disabled",
    labelNames: ["receiver"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "warden_revoker_delivery_latency_seconds",
    help: "Decision (or cause) queued → receiver accepted the SET (push 202 or poll ack)",
    labelNames: ["method"] as const,
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600,
    ],
    registers: [registry],
  });
  const pushSeconds = new Histogram({
    name: "warden_revoker_push_duration_seconds",
    help: "Time of one RFC 8935 push, answered or failed",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const circuit = new Gauge({
    name: "warden_revoker_circuit_state",
    help: "Circuit breaker per receiver: 0 closed, 1 half-open, 2 open",
    labelNames: ["receiver"] as const,
    registers: [registry],
  });
  let depths: QueueDepthSource | undefined;
  const queueDepth = new Gauge({
    name: "warden_revoker_queue_depth",
    help: "SETs waiting in a stream's queue (pending + unacknowledged), at scrape time",
    labelNames: ["stream_id", "kind"] as const,
    registers: [registry],
    async collect() {
      if (!depths) return;
      const current = await depths();
      this.reset();
      for (const { streamId, kind, depth } of current)
        this.labels(streamId, kind).set(depth);
    },
  });
  const decisions = new Counter({
    name: "warden_revoker_decisions_total",
    help: "Decision messages by outcome: queued (alerts too: risk-level-change), invalid (dead-lettered as invalid), retry, dead_lettered (every delivery up to REVOKER_DECISION_MAX_DELIVERIES failed), redriven (put back by an operator)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  // prom-client only creates a series on its first change; a zero now lets rate() see the first one.
  for (const outcome of DECISION_OUTCOMES) decisions.labels(outcome).inc(0);
  let deadCount: (() => Promise<number>) | undefined;
  new Gauge({
    name: "warden_revoker_dead_decisions",
    help: "Decisions waiting in the dead-letter stream for an operator to re-drive them, at scrape time",
    registers: [registry],
    async collect() {
      if (deadCount) this.set(await deadCount().catch(() => -1));
    },
  });
  const quotaRefusals = new Counter({
    name: "warden_revoker_quota_refusals_total",
    help: "SSF management requests refused by a per-receiver quota: streams (REVOKER_MAX_STREAMS_PER_RECEIVER), subjects (REVOKER_MAX_SUBJECTS_PER_STREAM)",
    labelNames: ["quota"] as const,
    registers: [registry],
  });
  for (const quota of ["streams", "subjects"])
    quotaRefusals.labels(quota).inc(0);
  const killSwitch = new Counter({
    name: "warden_revoker_kill_switch_total",
    help: "Kill-switch changes written (KV) and published, by action",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const cascaded = new Counter({
    name: "warden_revoker_cascade_revocations_total",
    help: "Sub-agents revoked because an agent above them in the delegation tree was",
    registers: [registry],
  });
  const cascadeCapped = new Counter({
    name: "warden_revoker_cascade_capped_total",
    help: "Sub-agents a revoke did not cascade to because REVOKER_CASCADE_MAX_AGENTS was reached",
    registers: [registry],
  });
  let edgeCount: (() => number) | undefined;
  new Gauge({
    name: "warden_revoker_delegation_edges",
    help: "Delegation edges (parent → sub-agent) remembered for cascades, at scrape time",
    registers: [registry],
    collect() {
      if (edgeCount) this.set(edgeCount());
    },
  });
  const connectorCalls = new Counter({
    name: "warden_revoker_connector_calls_total",
    help: "Connector calls (RFC 7009, SCIM, webhook) by connector id and outcome (done, retry, failed)",
    labelNames: ["connector", "outcome"] as const,
    registers: [registry],
  });
  let pendingCount: (() => number) | undefined;
  new Gauge({
    name: "warden_revoker_pending_approvals",
    help: "Revoke decisions waiting for human approval, at scrape time",
    registers: [registry],
    collect() {
      if (pendingCount) this.set(pendingCount());
    },
  });
  const approvals = new Counter({
    name: "warden_revoker_approvals_total",
    help: "Held revocations resolved, by verdict (approve, deny) and by whom (person, timeout)",
    labelNames: ["verdict", "by"] as const,
    registers: [registry],
  });
  const streamsPaused = new Counter({
    name: "warden_revoker_streams_paused_total",
    help: "Streams the transmitter paused by itself, by receiver and cause (delivery_failure, inactivity)",
    labelNames: ["receiver", "cause"] as const,
    registers: [registry],
  });
  const keyRotations = new Counter({
    name: "warden_revoker_key_rotations_total",
    help: "SET signing keys rotated, by trigger (scheduled, manual)",
    labelNames: ["trigger"] as const,
    registers: [registry],
  });
  for (const trigger of ["scheduled", "manual"])
    keyRotations.labels(trigger).inc(0);
  const oauthRefused = new Counter({
    name: "warden_revoker_oauth_tokens_refused_total",
    help: "OAuth access tokens (JWT-shaped bearers) the SSF API refused, by reason: expired, bad_signature, unknown_key, disallowed_alg, wrong_claims (iss, aud, typ, required claims), malformed, keys_unavailable, unknown_client, insufficient_scope (403)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const riskRecoveries = new Counter({
    name: "warden_revoker_risk_recoveries_total",
    help: "Agents reported back at LOW risk (risk-level-change) after REVOKER_RISK_RECOVERY_AFTER without a decision",
    registers: [registry],
  });
  const auditRecords = new Counter({
    name: "warden_revoker_audit_records_total",
    help: "Audit records written to warden.revocations.v1",
    registers: [registry],
  });
  const findings = new Counter({
    name: "warden_revoker_findings_total",
    help: "OCSF Detection Findings written to warden.findings.v1, by activity: create (a decision), update (a step of its revocation)",
    labelNames: ["activity"] as const,
    registers: [registry],
  });
  return {
    registry,
    setsIssued,
    deliveries,
    dropped,
    latency,
    pushSeconds,
    circuit,
    queueDepth,
    /** Where queue depths come from at scrape time (the SET queue). */
    setQueueDepthSource(source: QueueDepthSource) {
      depths = source;
    },
    decisions,
    quotaRefusals,
    killSwitch,
    cascaded,
    cascadeCapped,
    connectorCalls,
    approvals,
    /** Where the pending-approval count comes from at scrape time. */
    setPendingApprovalSource(source: () => number) {
      pendingCount = source;
    },
    /** Where the dead-letter depth comes from at scrape time (-1 when NATS does not answer). */
    setDeadDecisionSource(source: () => Promise<number>) {
      deadCount = source;
    },
    /** Where the delegation edge count comes from at scrape time. */
    setDelegationEdgeSource(source: () => number) {
      edgeCount = source;
    },
    streamsPaused,
    keyRotations,
    oauthRefused,
    riskRecoveries,
    auditRecords,
    findings,
  };
}

export type RevokerMetrics = ReturnType<typeof createRevokerMetrics>;
