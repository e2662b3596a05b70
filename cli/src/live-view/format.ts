import type { DecisionV1 } from "@warden/shared";
import { printable } from "../terminal-text.js";

/**
 * What the demo's live view shows, as pure functions of a stats snapshot: the redrawn block
 * for a terminal, one plain line for logs and pipes, and one line per SET the demo receiver got.
 */
export interface DemoSnapshot {
  readonly elapsedMs: number;
  /** Time left in the learning phase; 0 once the runaway loop may have started. */
  readonly learningLeftMs: number;
  readonly runawayAgent: string;
  readonly events: number;
  readonly rejected: number;
  readonly eventsPerSecond: number;
  readonly agents: number;
  readonly decisions: {
    readonly alert: number;
    readonly step_up: number;
    readonly revoke: number;
  };
  /** Agents under the kill switch. */
  readonly revoked: number;
  /** Calls the kill switch stopped at the (stand-in) gateway. */
  readonly blocked: number;
  readonly sets: {
    readonly verified: number;
    readonly refused: number;
    readonly failed: number;
  };
  readonly latency: LatencySummary | undefined;
  readonly metricsUrl: string;
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly maxMs: number;
}

export interface SetLine {
  readonly verified: boolean;
  /** Verified: the event's short name; refused: the receiver's `err`. */
  readonly what: string;
  readonly subject: string;
  readonly jti: string;
  readonly latencyMs: number | undefined;
}

const number = new Intl.NumberFormat("en-US");

/** The median (lower middle) and maximum; undefined for no samples. */
export function summariseLatency(
  samplesMs: readonly number[],
): LatencySummary | undefined {
  if (samplesMs.length === 0) return undefined;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    p50Ms: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

function phase(snapshot: DemoSnapshot): string {
  return snapshot.learningLeftMs > 0
    ? `learning what is normal — ${Math.ceil(snapshot.learningLeftMs / 1000)} s until ${snapshot.runawayAgent} starts looping`
    : `${snapshot.runawayAgent} is in a runaway loop`;
}

function latency(summary: LatencySummary | undefined): string {
  return summary
    ? `delivery p50 ${Math.round(summary.p50Ms)} ms, max ${Math.round(summary.maxMs)} ms`
    : "delivery latency: no SET yet";
}

/** The block a terminal redraws in place. */
export function formatDashboard(snapshot: DemoSnapshot): string[] {
  const { decisions, sets } = snapshot;
  return [
    `Warden demo ${clock(snapshot.elapsedMs)}  ${phase(snapshot)}`,
    `  events       ${number.format(snapshot.events)} accepted (${snapshot.eventsPerSecond.toFixed(1)}/s), ${number.format(snapshot.rejected)} rejected`,
    `  agents       ${number.format(snapshot.agents)}`,
    `  decisions    alert ${decisions.alert} · step-up ${decisions.step_up} · revoke ${decisions.revoke}`,
    `  revocations  ${snapshot.revoked} agent${snapshot.revoked === 1 ? "" : "s"} under the kill switch, ${number.format(snapshot.blocked)} calls blocked`,
    `  SETs         ${sets.verified} verified by the demo receiver, ${sets.refused} refused, ${sets.failed} undelivered · ${latency(snapshot.latency)}`,
    `  metrics      ${snapshot.metricsUrl}   (Ctrl-C stops)`,
  ];
}

/** One line for a log or a pipe. */
export function formatPlainLine(snapshot: DemoSnapshot): string {
  const { decisions, sets } = snapshot;
  const lat = snapshot.latency
    ? ` latency_p50_ms=${Math.round(snapshot.latency.p50Ms)} latency_max_ms=${Math.round(snapshot.latency.maxMs)}`
    : "";
  return (
    `[${clock(snapshot.elapsedMs)}] events=${snapshot.events} rate=${snapshot.eventsPerSecond.toFixed(1)}/s ` +
    `agents=${snapshot.agents} decisions: alert=${decisions.alert} step_up=${decisions.step_up} revoke=${decisions.revoke} ` +
    `revoked=${snapshot.revoked} blocked=${snapshot.blocked} sets_verified=${sets.verified} sets_refused=${sets.refused}${lat}`
  );
}

/** One line per SET the demo receiver got. */
export function formatSetLine(line: SetLine): string {
  const ms =
    line.latencyMs === undefined
      ? ""
      : `  latency ${Math.round(line.latencyMs)} ms`;
  return line.verified
    ? `SET verified  ${line.what}  subject ${line.subject}  jti ${line.jti}${ms}`
    : `SET REFUSED   ${line.what}  jti ${line.jti}`;
}

/** A decision as the demo prints it: what, whom, and the detectors' sentences saying why. */
export function formatDecisionLine(decision: DecisionV1): string {
  const why = decision.reasons
    .map((reason) => `${reason.detector}: ${reason.summary}`)
    .join("; ");
  return printable(
    `decision ${decision.action}  ${decision.agent_id} (tenant ${decision.tenant ?? "default"})  risk ${decision.risk.toFixed(2)}  ${why}`,
  );
}
