/**
 * What the console reads from the APIs, and the pure functions that shape it for the pages.
 * Every string here may come from an attacker (agent ids, reasons): pages render them as text.
 */

export interface Reason {
  readonly detector: string;
  readonly score: number;
  readonly summary: string;
  readonly observed?: unknown;
  readonly expected?: unknown;
}

export interface Decision {
  readonly decision_id: string;
  readonly tenant?: string;
  readonly agent_id: string;
  readonly action: "alert" | "step_up" | "revoke";
  readonly risk: number;
  readonly at: string;
  readonly decided_at?: string;
  readonly credential_ids?: readonly string[];
  readonly owner?: string;
  readonly on_behalf_of?: string;
  readonly delegation?: readonly string[];
  readonly reasons: readonly Reason[];
}

export interface Incident {
  readonly tenant: string;
  readonly agent_id: string;
  readonly state: string;
  readonly max_risk: number;
  readonly decisions: number;
  readonly first_at: string;
  readonly last_at: string;
  readonly decision: Decision;
}

export interface AuditRecord {
  readonly at: string;
  readonly step: string;
  readonly action: string;
  readonly txn: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly stream_id?: string;
  readonly receiver?: string;
  readonly jti?: string;
  readonly event_type?: string;
  readonly attempt?: number;
  readonly outcome?: string;
  readonly delegation_chain?: readonly string[];
  readonly sentence?: string;
}

export interface PendingApproval {
  readonly decision_id: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly reason: string;
  readonly requested_at: string;
  readonly deadline: string;
  readonly on_timeout?: "revoke" | "deny";
}

/** The sentence of a decision: its reasons' summaries, strongest first. */
export function decisionSentence(decision: Decision): string {
  return [...decision.reasons]
    .sort((a, b) => b.score - a.score)
    .map((reason) => reason.summary)
    .join("; ");
}

/** Who the agent acts for, from the agent up to its human owner (as the revoker's audit has it). */
export function delegationChain(decision: Decision): string[] {
  const chain = [
    decision.agent_id,
    ...[...(decision.delegation ?? [])].reverse(),
  ];
  for (const person of [decision.on_behalf_of, decision.owner])
    if (person) chain.push(person);
  return chain.filter((item, index) => chain.indexOf(item) === index);
}

/** Audit steps that are about one SET's delivery (the others are about the agent). */
const DELIVERY_STEPS: ReadonlySet<string> = new Set([
  "queued",
  "delivered",
  "retrying",
  "refused",
  "dead_lettered",
  "dropped",
]);

export interface Delivery {
  readonly txn: string;
  readonly action: string;
  readonly receiver: string;
  readonly streamId: string;
  readonly eventType: string;
  readonly state: string;
  readonly attempts: number;
  readonly answer: string;
  readonly at: string;
}

/** The latest state of every SET (per cause, receiver and event), newest cause first. */
export function deliveries(records: readonly AuditRecord[]): Delivery[] {
  const latest = new Map<string, AuditRecord>();
  for (const record of records) {
    if (!DELIVERY_STEPS.has(record.step)) continue;
    const key = JSON.stringify([
      record.txn,
      record.stream_id ?? "",
      record.jti ?? record.event_type ?? "",
    ]);
    const seen = latest.get(key);
    if (!seen || Date.parse(record.at) >= Date.parse(seen.at))
      latest.set(key, record);
  }
  return [...latest.values()]
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .map((record) => ({
      txn: record.txn,
      action: record.action,
      receiver: record.receiver ?? "?",
      streamId: record.stream_id ?? "?",
      eventType: (record.event_type ?? "").replace(/^.*\//u, ""),
      state: record.step,
      attempts: record.attempt ?? 1,
      answer: record.outcome ?? "",
      at: record.at,
    }));
}

/**
 * Where the agent stands after the revoker's latest step about it (records newest first):
 * reinstated, awaiting approval, revocation denied, revoked or stepped up; undefined before any.
 */
export function agentStatus(
  newestFirst: readonly AuditRecord[],
): string | undefined {
  const latest = newestFirst[0];
  if (!latest) return undefined;
  if (latest.action === "reinstate") return "reinstated";
  if (latest.step === "awaiting_approval") return "awaiting_approval";
  if (latest.step === "denied") return "denied";
  return latest.action === "step_up" ? "stepped_up" : "revoked";
}

/** Observed / expected values as one line of text: numbers grouped, objects as key: value. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "number")
    return Number.isInteger(value)
      ? value.toLocaleString("en")
      : value.toLocaleString("en", { maximumFractionDigits: 2 });
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (typeof value === "object")
    return Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${key.replace(/_/gu, " ")}: ${formatValue(item)}`)
      .join(", ");
  return JSON.stringify(value);
}

/** A duration for people: 850 ms, 12 s, 4 min 05 s, 2 h 10 min. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  const sign = ms < 0 ? "−" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  const seconds = Math.floor(abs / 1000);
  if (seconds < 60) return `${sign}${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60)
    return `${sign}${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${sign}${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Detector time to decide: wall-clock decision minus the trigger's event time. */
export function timeToDecide(decision: Decision): number | undefined {
  if (!decision.decided_at) return undefined;
  const ms = Date.parse(decision.decided_at) - Date.parse(decision.at);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** Path of an agent's page inside the console: each part encoded, so any id is one segment. */
export function agentPath(tenant: string, agentId: string): string {
  return `/agents/${encodeURIComponent(tenant)}/${encodeURIComponent(agentId)}`;
}

/** POST /v1/what-if's answer (services/baseline README). */
export interface WhatIfResult {
  readonly from: string;
  readonly to: string;
  readonly events: number;
  readonly complete: boolean;
  readonly stopped?: "max_events" | "time_limit";
  readonly decisions: { readonly current: number; readonly proposed: number };
  readonly counts: {
    readonly appeared: number;
    readonly disappeared: number;
    readonly changed: number;
  };
  readonly appeared: readonly Decision[];
  readonly disappeared: readonly Decision[];
  readonly changed: readonly {
    readonly current: Decision;
    readonly proposed: Decision;
  }[];
}

export interface WhatIfRow {
  readonly key: string;
  readonly change: "appeared" | "disappeared" | "changed";
  /** The decision to show: the proposed one, or the current one that would go. */
  readonly decision: Decision;
  /** `revoke`, `— (was alert)` or `step_up → revoke`. */
  readonly action: string;
}

/** One table of every difference, in event time, so an incident's changes read in order. */
export function whatIfRows(result: WhatIfResult): WhatIfRow[] {
  const rows: WhatIfRow[] = [
    ...result.appeared.map((decision) => ({
      key: `a-${decision.decision_id}`,
      change: "appeared" as const,
      decision,
      action: decision.action,
    })),
    ...result.disappeared.map((decision) => ({
      key: `d-${decision.decision_id}`,
      change: "disappeared" as const,
      decision,
      action: `none (was ${decision.action})`,
    })),
    ...result.changed.map((pair) => ({
      key: `c-${pair.proposed.decision_id}`,
      change: "changed" as const,
      decision: pair.proposed,
      action: `${pair.current.action} → ${pair.proposed.action}`,
    })),
  ];
  return rows.sort(
    (a, b) =>
      Date.parse(a.decision.at) - Date.parse(b.decision.at) ||
      a.key.localeCompare(b.key),
  );
}
