import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric of the SDK, declared once. The gateway passes its own registry so the
 * metrics appear on its `/metrics`; label values are fixed small sets, never an agent id.
 */
export interface ShipperMetrics {
  readonly shipped: Counter;
  readonly spooled: Counter;
  readonly replayed: Counter;
  readonly dropped: Counter<"reason">;
  readonly rejectedByIngest: Counter;
  readonly sendFailures: Counter<"source">;
  readonly sendSeconds: Histogram;
  readonly damagedSpoolBytes: Counter;
}

export interface EnforcerMetrics {
  readonly killSwitchMessages: Counter<"action">;
  readonly invalidKillSwitchMessages: Counter;
  readonly resyncs: Counter<"outcome">;
  readonly heldCalls: Counter;
}

/** Why the SSF push receiver did not apply a SET (a fixed set: the label's only values). */
export const SSF_REFUSAL_REASONS = [
  "unauthenticated",
  "content_type",
  "unverified",
  "stale",
  "future",
  "no_jti",
  "replayed",
  "replay_memory_full",
] as const;
export type SsfRefusalReason = (typeof SSF_REFUSAL_REASONS)[number];

export interface SsfReceiverMetrics {
  /** One bound label handle per reason. */
  readonly refused: Readonly<Record<SsfRefusalReason, { inc(): void }>>;
}

export interface ShipperGauges {
  queueEvents(): number;
  spoolBytes(): number;
  spoolSegments(): number;
}

// prom-client refuses a second metric of one name in one registry; a registry shared by two
// shippers (tests, or a gateway with two sinks) reuses the first's metric objects.
function once<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createShipperMetrics(registry: Registry): ShipperMetrics {
  const registers = [registry];
  return {
    shipped: once(
      registry,
      "warden_gateway_events_shipped_total",
      () =>
        new Counter({
          name: "warden_gateway_events_shipped_total",
          help: "Events Warden acknowledged (Kafka acks or the HTTP ingest's 2xx), spool replays included",
          registers,
        }),
    ),
    spooled: once(
      registry,
      "warden_gateway_events_spooled_total",
      () =>
        new Counter({
          name: "warden_gateway_events_spooled_total",
          help: "Events written to the on-disk spool because Warden was unreachable or behind",
          registers,
        }),
    ),
    replayed: once(
      registry,
      "warden_gateway_events_replayed_total",
      () =>
        new Counter({
          name: "warden_gateway_events_replayed_total",
          help: "Spooled events delivered to Warden",
          registers,
        }),
    ),
    dropped: once(
      registry,
      "warden_gateway_events_dropped_total",
      () =>
        new Counter({
          name: "warden_gateway_events_dropped_total",
          help: "Events refused by ship() (queue_full, spool_full, stopped) or unreadable in the spool (damaged)",
          labelNames: ["reason"] as const,
          registers,
        }),
    ),
    rejectedByIngest: once(
      registry,
      "warden_gateway_events_rejected_total",
      () =>
        new Counter({
          name: "warden_gateway_events_rejected_total",
          help: "Events the HTTP ingest answered as rejected (dead-lettered by Warden, not retried)",
          registers,
        }),
    ),
    sendFailures: once(
      registry,
      "warden_gateway_send_failures_total",
      () =>
        new Counter({
          name: "warden_gateway_send_failures_total",
          help: "Batches Warden did not take; source live (went to the spool) or spool (retried with back-off)",
          labelNames: ["source"] as const,
          registers,
        }),
    ),
    sendSeconds: once(
      registry,
      "warden_gateway_send_duration_seconds",
      () =>
        new Histogram({
          name: "warden_gateway_send_duration_seconds",
          help: "Time to send one batch to Warden and get its acknowledgement",
          buckets: [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
          ],
          registers,
        }),
    ),
    damagedSpoolBytes: once(
      registry,
      "warden_gateway_spool_damaged_bytes_total",
      () =>
        new Counter({
          name: "warden_gateway_spool_damaged_bytes_total",
          help: "Spool bytes skipped on replay: a record torn by a crash mid-write, or damage",
          registers,
        }),
    ),
  };
}

/** Queue depth and spool size, computed when Prometheus scrapes rather than on every event. */
export function registerShipperGauges(
  registry: Registry,
  gauges: ShipperGauges,
): void {
  const registers = [registry];
  for (const name of [
    "warden_gateway_queue_events",
    "warden_gateway_spool_bytes",
    "warden_gateway_spool_segments",
  ])
    registry.removeSingleMetric(name);
  new Gauge({
    name: "warden_gateway_queue_events",
    help: "Events in memory waiting to be sent or spooled",
    registers,
    collect() {
      this.set(gauges.queueEvents());
    },
  });
  new Gauge({
    name: "warden_gateway_spool_bytes",
    help: "Bytes in the on-disk spool, waiting for Warden",
    registers,
    collect() {
      this.set(gauges.spoolBytes());
    },
  });
  new Gauge({
    name: "warden_gateway_spool_segments",
    help: "Segment files in the on-disk spool",
    registers,
    collect() {
      this.set(gauges.spoolSegments());
    },
  });
}

export function createEnforcerMetrics(
  registry: Registry,
  revokedCount: () => number,
): EnforcerMetrics {
  const registers = [registry];
  registry.removeSingleMetric("warden_gateway_revoked_agents");
  new Gauge({
    name: "warden_gateway_revoked_agents",
    help: "Agents this gateway currently refuses",
    registers,
    collect() {
      this.set(revokedCount());
    },
  });
  return {
    killSwitchMessages: once(
      registry,
      "warden_gateway_kill_switch_messages_total",
      () =>
        new Counter({
          name: "warden_gateway_kill_switch_messages_total",
          help: "Kill-switch messages applied, by action (revoke, reinstate, hold)",
          labelNames: ["action"] as const,
          registers,
        }),
    ),
    invalidKillSwitchMessages: once(
      registry,
      "warden_gateway_kill_switch_invalid_total",
      () =>
        new Counter({
          name: "warden_gateway_kill_switch_invalid_total",
          help: "Kill-switch messages or KV entries that broke the contract and were ignored",
          registers,
        }),
    ),
    resyncs: once(
      registry,
      "warden_gateway_revocation_resyncs_total",
      () =>
        new Counter({
          name: "warden_gateway_revocation_resyncs_total",
          help: "Re-reads of the revoked-agents KV bucket (start, reconnect, period), by outcome (ok, error)",
          labelNames: ["outcome"] as const,
          registers,
        }),
    ),
    heldCalls: once(
      registry,
      "warden_gateway_held_calls_total",
      () =>
        new Counter({
          name: "warden_gateway_held_calls_total",
          help: "Sensitive calls refused because their agent is held for its owner's approval (step-up)",
          registers,
        }),
    ),
  };
}

export function createSsfReceiverMetrics(
  registry: Registry,
): SsfReceiverMetrics {
  const registers = [registry];
  const refused = once(
    registry,
    "warden_gateway_ssf_sets_refused_total",
    () =>
      new Counter({
        name: "warden_gateway_ssf_sets_refused_total",
        help: "SETs the SSF push receiver did not apply, by reason: unauthenticated, content_type, unverified (signature, iss, aud, typ, alg), stale (iat older than the replay window), future (iat more than 5 min ahead), no_jti, replayed (a jti already taken: 202, not applied), replay_memory_full (503)",
        labelNames: ["reason"] as const,
        registers,
      }),
  );
  return {
    refused: Object.fromEntries(
      SSF_REFUSAL_REASONS.map((reason) => [reason, refused.labels(reason)]),
    ) as Record<SsfRefusalReason, { inc(): void }>,
  };
}

export { Registry };
