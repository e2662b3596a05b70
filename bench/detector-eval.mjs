// The detector's labelled evaluation, in one command (after `npm run build`):
//   node bench/detector-eval.mjs [--agents 500] [--days 7] [--seed 7] [--repeat 2] [--keep DIR [--reuse]]
// (--keep keeps the traffic, labels and decisions in DIR; --reuse takes the traffic already
// there, to try a policy or a detector change on the same data.)
// `warden simulate` writes several days of traffic with every attack and benign trap (labels
// beside it); `warden replay` runs ingest checks, event-time baselines and the detector over
// it; this script scores the decisions against the labels and writes
// bench/results/detector-eval.md. Ground truth is only read here, never by the detector.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineDetails } from "./lib/machine.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "cli/dist/main.js");
const DAY_MS = 86_400_000;
const ACTION_RANK = { alert: 1, step_up: 2, revoke: 3 };
const ATTACKS = [
  "runaway_loop",
  "bulk_export",
  "novel_sensitive_access",
  "privilege_escalation",
  "credential_sharing",
  "denied_call_probing",
  "off_hours",
  "delegation_abuse",
  "slow_exfiltration",
  "control_plane_persistence",
  "counterparty_hijack",
  "stolen_workload_credentials",
  "dormant_reactivation",
  "sequence_hijack",
  "new_identity_burst",
  "llm_spend_spike",
];
// What "detected" means for each kind (issue 15): the weakest action that counts.
const REQUIRED = {
  runaway_loop: "revoke",
  bulk_export: "revoke",
  credential_sharing: "revoke",
  privilege_escalation: "revoke",
  delegation_abuse: "revoke",
  novel_sensitive_access: "step_up",
  denied_call_probing: "step_up",
  off_hours: "alert",
  slow_exfiltration: "alert",
  control_plane_persistence: "revoke",
  counterparty_hijack: "step_up",
  stolen_workload_credentials: "revoke",
  // A long-unused identity reaching restricted data: held for its owner, like novel access.
  dormant_reactivation: "step_up",
  // Its own tools in a new order: worth a look, not a hold on its own.
  sequence_hijack: "alert",
  // A brand-new key far beyond its peer group's limits: a runaway or a stolen key (item 9).
  new_identity_burst: "revoke",
  // A bill 20–100× the usual: the owner must look (alert or step_up), not a breach in itself.
  llm_spend_spike: "alert",
};
// The issue's speed goal: these are caught within 5 s of event time.
const FAST = new Set(["runaway_loop", "bulk_export", "credential_sharing"]);

const { values: args } = parseArgs({
  options: {
    agents: { type: "string", default: "500" },
    days: { type: "string", default: "7" },
    seed: { type: "string", default: "7" },
    repeat: { type: "string", default: "2" },
    start: { type: "string", default: "2026-11-02" },
    policy: { type: "string" },
    keep: { type: "string" },
    reuse: { type: "boolean", default: false },
    results: {
      type: "string",
      default: join(root, "bench/results/detector-eval.md"),
    },
  },
});

// --keep DIR may name a folder that does not exist yet: the run creates it.
if (args.keep) mkdirSync(args.keep, { recursive: true });
const dir = args.keep ?? mkdtempSync(join(tmpdir(), "warden-eval-"));
const traffic = join(dir, "traffic.ndjson.gz");
const labelsFile = join(dir, "traffic.labels.ndjson");
const decisionsFile = join(dir, "decisions.ndjson");
const attackList = ATTACKS.map((kind) => `${kind}:${args.repeat}`).join(",");
const simulateArgs = [
  "simulate",
  ...["--agents", args.agents, "--days", args.days, "--seed", args.seed],
  ...["--start", args.start, "--attacks", attackList, "--traps", "all"],
  ...["--out", traffic, "--labels", labelsFile, "--json"],
];
const replayArgs = [
  "replay",
  ...["--input", traffic, "--output", decisionsFile],
  ...(args.policy ? ["--policy", args.policy] : []),
];
const run = (argv) =>
  execFileSync(process.execPath, [cli, ...argv], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 28,
  });

const started = Date.now();
const simulationFile = join(dir, "simulation.json");
const reuse = args.reuse && args.keep && existsSync(simulationFile);
const simulation = JSON.parse(
  reuse ? readFileSync(simulationFile, "utf8") : run(simulateArgs),
);
writeFileSync(simulationFile, JSON.stringify(simulation));
const simulatedAt = Date.now();
const replaySummary = run(replayArgs).trim();
const replayedAt = Date.now();

const ndjson = (file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
const labels = ndjson(labelsFile);
const decisions = ndjson(decisionsFile).map((d) => ({
  ...d,
  atMs: Date.parse(d.at),
}));

const agentKey = (tenant, agent) => `${tenant}/${agent}`;
const decisionsByAgent = new Map();
for (const d of decisions) {
  const key = agentKey(d.tenant, d.agent_id);
  decisionsByAgent.set(key, [...(decisionsByAgent.get(key) ?? []), d]);
}

/**
 * An attack is detected by the first decision that is about it: triggered by one of its
 * events, or about one of the agents it involves (the victim, or the credential's other
 * users) while its events were landing.
 */
const attributed = new Set();
// Agent ids are unique across tenants in the simulation; the credential's other users may be
// in other tenants, and the label does not say which.
const tenantsOf = new Map();
for (const d of decisions)
  tenantsOf.set(
    d.agent_id,
    new Set([...(tenantsOf.get(d.agent_id) ?? []), d.tenant]),
  );
function involvedAgents(label) {
  return [
    agentKey(label.tenant, label.agent_id),
    ...label.related_agent_ids.flatMap((agent) =>
      [...(tenantsOf.get(agent) ?? [])].map((tenant) =>
        agentKey(tenant, agent),
      ),
    ),
  ];
}
function detection(label) {
  if (label.event_count === 0) return undefined;
  const firstMs = Date.parse(label.first_event_time);
  const lastMs = Date.parse(label.last_event_time);
  const ids = new Set(label.event_ids);
  const candidates = involvedAgents(label)
    .flatMap((key) => decisionsByAgent.get(key) ?? [])
    .filter(
      (d) =>
        ids.has(d.trigger_event_id) || (d.atMs >= firstMs && d.atMs <= lastMs),
    )
    .sort((a, b) => a.atMs - b.atMs);
  for (const d of candidates) attributed.add(d);
  const first = candidates[0];
  if (!first) return undefined;
  const strongest = candidates.reduce((best, d) =>
    ACTION_RANK[d.action] > ACTION_RANK[best.action] ? d : best,
  );
  const required = REQUIRED[label.kind] ?? "alert";
  const acting = candidates.find(
    (d) => ACTION_RANK[d.action] >= ACTION_RANK[required],
  );
  return {
    delayMs: Math.max(0, first.atMs - firstMs),
    actedMs: acting ? Math.max(0, acting.atMs - firstMs) : undefined,
    action: strongest.action,
    detectors: [...new Set(candidates.map((d) => d.reasons[0]?.detector))],
  };
}

const attacks = labels.filter((l) => l.class === "attack");
const traps = labels.filter((l) => l.class === "benign");
const perAttack = attacks.map((label) => ({ label, found: detection(label) }));

// Everything not attributed to an attack is noise: on benign agents, and on attack victims
// outside their attacks.
const attackAgents = new Set(attacks.flatMap(involvedAgents));
const noise = decisions.filter((d) => !attributed.has(d));
const benignNoise = noise.filter(
  (d) => !attackAgents.has(agentKey(d.tenant, d.agent_id)),
);
const runStartMs = Date.parse(simulation.start);
const runEndMs = Date.parse(simulation.end);
const learningEndMs = runStartMs + 0.3 * (runEndMs - runStartMs);
const agentsMatch = replaySummary.match(/^agents: (\d+)/m);
const agentsSeen = Number(agentsMatch?.[1] ?? simulation.agents);
const attackAgentIds = new Set(
  attacks.flatMap((l) => [l.agent_id, ...l.related_agent_ids]),
);
const benignAgents = agentsSeen - attackAgentIds.size;
const evaluatedDays = (runEndMs - learningEndMs) / DAY_MS;
const benignAgentDays = benignAgents * evaluatedDays;
const afterLearning = benignNoise.filter((d) => d.atMs >= learningEndMs);
const per50 = (count) => ((count / benignAgentDays) * 50).toFixed(2);

const pct = (values, p) => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
const seconds = (ms) =>
  ms === undefined
    ? "—"
    : ms < 1000
      ? `${ms} ms`
      : `${(ms / 1000).toFixed(1)} s`;

const attackRows = ATTACKS.map((kind) => {
  const rows = perAttack.filter((r) => r.label.kind === kind);
  const landed = rows.filter((r) => r.label.event_count > 0);
  const found = landed.filter((r) => r.found);
  const delays = found.map((r) => r.found.delayMs);
  const actions = found.map((r) => r.found.action);
  const detectors = [...new Set(found.flatMap((r) => r.found.detectors))];
  const recall = landed.length ? found.length / landed.length : undefined;
  const acted = found.filter((r) => r.found.actedMs !== undefined);
  const actedDelays = acted.map((r) => r.found.actedMs);
  const within5s = FAST.has(kind)
    ? `${actedDelays.filter((d) => d <= 5000).length}/${landed.length}`
    : "";
  return {
    kind,
    text: `| ${kind} | ${REQUIRED[kind] ?? "alert"} | ${acted.length}/${landed.length} | ${found.length}/${landed.length} | ${recall === undefined ? "—" : recall.toFixed(2)} | ${seconds(pct(delays, 0.5))} | ${seconds(pct(actedDelays, 1))} | ${within5s} | ${actions.join(", ") || "—"} | ${detectors.join(", ") || "—"} |`,
    landed: landed.length,
    found: found.length,
    acted: acted.length,
  };
});
const landedTotal = attackRows.reduce((a, r) => a + r.landed, 0);
const foundTotal = attackRows.reduce((a, r) => a + r.found, 0);
const actedTotal = attackRows.reduce((a, r) => a + r.acted, 0);

const trapRows = traps.map((label) => {
  const fromMs = Date.parse(label.start);
  const toMs = Date.parse(label.end);
  const own = (
    decisionsByAgent.get(agentKey(label.tenant, label.agent_id)) ?? []
  ).filter((d) => d.atMs >= fromMs && d.atMs < toMs);
  const count = (action) => own.filter((d) => d.action === action).length;
  return `| ${label.kind} | ${label.agent_id} | ${label.event_count} | ${count("alert")} | ${count("step_up")} | ${count("revoke")} | ${[...new Set(own.map((d) => d.reasons[0]?.detector))].join(", ") || "—"} |`;
});

const countBy = (list, key) =>
  Object.entries(
    list.reduce((acc, d) => ({ ...acc, [key(d)]: (acc[key(d)] ?? 0) + 1 }), {}),
  )
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";
const falseRevocations = benignNoise.filter((d) => d.action === "revoke");
const reproduce = `node bench/detector-eval.mjs --agents ${args.agents} --days ${args.days} --seed ${args.seed} --repeat ${args.repeat} --start ${args.start}${args.policy ? ` --policy ${args.policy}` : ""}`;

const report = `# Detector — labelled evaluation

Reproduce (after \`npm run build\`): \`${reproduce}\`

\`warden simulate\` (seed ${args.seed}, ${args.agents} agents of six kinds, ${args.days} days from ${args.start}, every attack kind × ${args.repeat}, every benign trap; attacks and traps after the first 30 %) → \`warden replay\` (ingest checks, baselines rebuilt every 5 min of event time from earlier events only, the default policy${args.policy ? ` overridden by ${args.policy}` : ""}) → decisions scored against the labels. An attack counts as detected by the first decision triggered by one of its events, or about an agent it involves while its events land; time to detect is that decision's event time minus the attack's first event's.

## Machine

${machineDetails()}

## Run

- ${simulation.events.toLocaleString("en-US")} events (${simulation.attack_events.toLocaleString("en-US")} from attacks), ${agentsSeen} agents; simulate ${reuse ? "(reused)" : `${((simulatedAt - started) / 1000).toFixed(0)} s`}, replay ${((replayedAt - simulatedAt) / 1000).toFixed(0)} s (${Math.round(simulation.events / ((replayedAt - simulatedAt) / 1000)).toLocaleString("en-US")} events/s)
- replay summary:

\`\`\`
${replaySummary}
\`\`\`

## Attacks

Recall with the required action over all attacks that landed: **${actedTotal}/${landedTotal} = ${landedTotal ? (actedTotal / landedTotal).toFixed(2) : "—"}** (goal ≥ 0.95); with any decision: ${foundTotal}/${landedTotal}.

| attack | required | with required action | any decision | recall (any) | first decision p50 | required action, max delay | required ≤ 5 s (goal) | strongest action each | first detectors |
|---|---|---|---|---|---|---|---|---|---|
${attackRows.map((r) => r.text).join("\n")}

## Noise

Benign agents: ${benignAgents} (agents seen minus the ${attackAgentIds.size} an attack involves); evaluated period after the learning phase: ${evaluatedDays.toFixed(1)} days = ${Math.round(benignAgentDays).toLocaleString("en-US")} benign agent-days.

- **False revocations of benign agents: ${falseRevocations.length}** over the whole run (goal 0)${falseRevocations.length ? `: ${countBy(falseRevocations, (d) => d.reasons[0]?.detector)}` : ""}
- **Decisions on benign agents per 50 benign agent-days after learning: ${per50(afterLearning.length)}** (${afterLearning.length} decisions; goal ≤ 1) — by action: ${countBy(afterLearning, (d) => d.action)}; by first detector: ${countBy(afterLearning, (d) => d.reasons[0]?.detector)}
- During the learning phase (cold start, baselines not yet trusted): ${benignNoise.length - afterLearning.length} decisions on benign agents
- Decisions on attack victims outside their attacks: ${noise.length - benignNoise.length}

## Benign traps (decisions inside the trap window)

| trap | agent | events | alert | step_up | revoke | detectors |
|---|---|---|---|---|---|---|
${trapRows.join("\n")}
`;

writeFileSync(args.results, report);
process.stdout.write(report);
if (!args.keep) rmSync(dir, { recursive: true, force: true });
