import { printable } from "../terminal-text.js";
import type {
  BaselineModel,
  CanonicalEvent,
  DecisionV1,
  RobustStats,
  Vocabulary,
} from "@warden/shared";

/**
 * Plain-text views of the baseline query API's answers for `warden agents` and
 * `warden agent <id>`. Pure: data in, lines out.
 */

export interface RankedAgent {
  readonly tenant: string;
  readonly agent_id: string;
  readonly calls: number;
  readonly max_risk: number;
  readonly decisions: number;
  readonly revokes: number;
}

export interface Baselines {
  readonly agent: BaselineModel | null;
  readonly peer: BaselineModel | null;
  readonly tenant: BaselineModel | null;
}

/** Everything `warden agent <id>` shows, as the API returned it. */
export interface AgentReport {
  readonly tenant: string;
  readonly agentId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly baseline: Baselines;
  readonly events: readonly CanonicalEvent[];
  /** Cursor of the next page of events; null at the end. */
  readonly nextEvents: string | null;
  readonly decisions: readonly DecisionV1[];
  readonly revocations: readonly Readonly<Record<string, unknown>>[];
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(cells: readonly (readonly string[])[]): string[] {
  // Cells hold agent ids, resources and reasons from the network: escape what drives a terminal.
  const rows = cells.map((row) => row.map(printable));
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, index) =>
        index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0),
      )
      .join("  ")
      .trimEnd(),
  );
}

/** `1234567` → `1.2M`: short enough for a column, exact below 10,000. */
export function compact(value: number): string {
  // [smallest value shown in the unit, the unit's size, its suffix]
  const units: [number, number, string][] = [
    [1e12, 1e12, "T"],
    [1e9, 1e9, "G"],
    [1e6, 1e6, "M"],
    [1e4, 1e3, "k"],
  ];
  for (const [threshold, size, suffix] of units)
    if (Math.abs(value) >= threshold) {
      const scaled = value / size;
      return `${Number(scaled.toFixed(Math.abs(scaled) < 100 ? 1 : 0))}${suffix}`;
    }
  return String(Math.round(value * 1000) / 1000);
}

/** Active hours of the day (bit h = UTC hour h) as ranges: `00-05, 08-18`, or `none`. */
export function hourRanges(mask: number): string {
  const ranges: string[] = [];
  let hour = 0;
  while (hour < 24) {
    if (((mask >>> hour) & 1) === 0) {
      hour += 1;
      continue;
    }
    const first = hour;
    while (hour < 24 && ((mask >>> hour) & 1) === 1) hour += 1;
    const two = (h: number): string => String(h).padStart(2, "0");
    ranges.push(
      first === hour - 1 ? two(first) : `${two(first)}-${two(hour - 1)}`,
    );
  }
  return ranges.length === 0 ? "none" : ranges.join(", ");
}

export function renderAgents(agents: readonly RankedAgent[]): string[] {
  if (agents.length === 0) return ["no agents with events in the range"];
  return table([
    ["#", "TENANT", "AGENT", "MAX RISK", "DECISIONS", "REVOKES", "CALLS"],
    ...agents.map((agent, index) => [
      String(index + 1),
      agent.tenant,
      agent.agent_id,
      agent.decisions > 0 ? agent.max_risk.toFixed(2) : "-",
      String(agent.decisions),
      String(agent.revokes),
      compact(agent.calls),
    ]),
  ]);
}

function stats(label: string, value: RobustStats): string {
  return `${label}: median ${compact(value.median)}, MAD ${compact(value.mad)}, p95 ${compact(value.p95)}, p99 ${compact(value.p99)}, max ${compact(value.max)}`;
}

function topValues(vocabulary: Vocabulary, count = 5): string {
  if (vocabulary.distinct === 0) return "none";
  const shown = vocabulary.top
    .slice(0, count)
    .map(
      ([value, n]) =>
        `${value} ${Math.round((n / Math.max(1, vocabulary.total)) * 100)}%`,
    );
  const more = vocabulary.distinct - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` (+${more} more)` : ""}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The baseline a detector would use: the first trusted of the agent's own, its peer group's
 * and the tenant's; when none is trusted yet, the closest one there is, marked as such.
 */
export function renderBaseline(baselines: Baselines): string[] {
  const { agent, peer, tenant } = baselines;
  const model =
    [agent, peer, tenant].find((candidate) => candidate?.trusted) ??
    agent ??
    peer ??
    tenant;
  if (!model) return ["baseline: none yet (no events in its window)"];
  const scope =
    model === agent
      ? "own"
      : model === peer
        ? `peer group ${peer?.scope.level === "peer" ? peer.scope.agentKind : ""} (own baseline not trusted yet)`
        : "tenant (no trusted own or peer baseline)";
  const h = model.history;
  const v = model.vocabulary;
  return [
    `baseline: ${scope}, computed ${iso(model.computedAtMs)}, window ${iso(model.windowStartMs)} to ${iso(model.windowEndMs)}`,
    `  history: ${h.events} events from ${h.agents} agent(s), ${iso(h.firstSeenMs)} to ${iso(h.lastSeenMs)}, ${h.activeHours} active hours${model.trusted ? "" : " (not trusted: too little history)"}`,
    `  ${stats("calls per active minute", model.ratePerMinute)}`,
    `  ${stats("calls per active hour", model.ratePerHour)}`,
    `  ${stats("bytes out per call", model.bytesPerCall)}`,
    `  denied ${(model.deniedRate * 100).toFixed(1)}%, errors ${(model.errorRate * 100).toFixed(1)}%, max delegation depth ${model.maxChainDepth}`,
    `  active hours (UTC): ${hourRanges(model.activeHoursOfDay)}${model.hourOfWeek ? " (periodic: hour-of-week profile kept)" : ""}`,
    `  actions: ${topValues(v.actions)}`,
    `  resources: ${topValues(v.resources)}`,
    `  source IPs: ${topValues(v.sourceIps)}`,
    `  credentials: ${topValues(v.credentials, 3)}`,
  ];
}

/** The first of `names` that holds text or a number; revocation records are read leniently. */
function field(
  record: Readonly<Record<string, unknown>>,
  ...names: string[]
): string {
  for (const name of names) {
    const value = record[name];
    if (typeof value === "string" || typeof value === "number")
      return String(value);
  }
  return "-";
}

export function renderAgentReport(report: AgentReport): string[] {
  const lines = [
    `agent ${report.agentId} (tenant ${report.tenant})`,
    ...renderBaseline(report.baseline),
    "",
    `events ${iso(report.fromMs)} to ${iso(report.toMs)}, newest first:`,
  ];
  if (report.events.length === 0) lines.push("  none");
  else
    lines.push(
      ...table(
        report.events.map((event) => [
          ` ${event.time}`,
          event.action.name,
          event.resource?.id ?? "-",
          event.outcome,
          `${compact(event.bytes_out ?? 0)}B`,
        ]),
      ),
    );
  if (report.nextEvents !== null)
    lines.push(`  more: --cursor ${report.nextEvents}`);
  lines.push("", "decisions:");
  if (report.decisions.length === 0) lines.push("  none");
  else
    lines.push(
      ...table(
        report.decisions.map((decision) => [
          ` ${decision.at}`,
          decision.action,
          `risk ${decision.risk.toFixed(2)}`,
          decision.reasons[0]?.summary ?? "",
        ]),
      ),
    );
  lines.push("", "revocations:");
  if (report.revocations.length === 0) lines.push("  none");
  else
    lines.push(
      ...table(
        report.revocations.map((record) => [
          ` ${field(record, "at", "time")}`,
          field(record, "action", "type"),
          field(record, "outcome", "status"),
          field(record, "decision_id"),
        ]),
      ),
    );
  return lines;
}
