// crossgen: an independent, seeded generator of labelled agent traffic for the detector's
// evaluation (a second opinion beside `warden simulate`, sharing only the audit-event contract and
// the label format). Usage:
//   node bench/crossgen/generate.mjs --out DIR [--seed 1] [--agents 130] [--days 8] [--start 2026-11-16]
// writes DIR/traffic.ndjson.gz (agent-audit/v1), DIR/traffic.labels.ndjson (warden-sim-label/v1)
// and DIR/simulation.json (the run's summary, in the shape bench/detector-eval.mjs reads).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { createRandom } from "./random.mjs";
import { buildAgent, buildPopulation, DAY, HOUR } from "./population.mjs";
import { TENANTS } from "./catalogue.mjs";
import { createEmitter, normalTraffic } from "./traffic.mjs";
import { ATTACK_KINDS } from "./attacks.mjs";
import * as traps from "./traps.mjs";

const LABEL_SCHEMA = "warden-sim-label/v1";
const MAX_LABEL_EVENT_IDS = 10_000;
const WEEKDAY_ATTACK_DAYS = [3, 4, 7];

/** Takes agents of a kind no attack or trap has claimed yet, in a seeded order. */
function claimer(random, agents) {
  const claimed = new Set();
  return (kind, where = () => true) => {
    const free = agents.filter(
      (a) => a.kind === kind && !claimed.has(a) && where(a),
    );
    if (free.length === 0)
      throw new Error(`crossgen: no free ${kind} agent left; raise --agents`);
    const agent = random.pick(free);
    claimed.add(agent);
    return agent;
  };
}

/** UTC instant of a local hour on a day of the run, in the agent's tenant's zone, give or take. */
const localAt = (random, startMs, agent, day, hour) =>
  startMs +
  day * DAY +
  (hour - agent.tenant.offsetH) * HOUR +
  random.between(0, 40 * 60_000);

function dayZeroIdentity(random, startMs, endMs) {
  const tenant = random.pick(TENANTS);
  const agent = buildAgent(random, "data-pipeline", 99, tenant, startMs, endMs);
  agent.id = `arn:aws:iam::${tenant.account}:user/svc-backup-sync`;
  agent.dayZero = true;
  // A long-term access key: no expiry, no issuer beyond the account itself.
  agent.key = {
    id: `AKIA${random.upper(16)}`,
    type: "api_key",
    expiresMs: undefined,
  };
  return agent;
}

function planAttacks(random, claim, startMs, endMs) {
  const plans = [];
  let slot = 0;
  for (const [kind, spec] of Object.entries(ATTACK_KINDS)) {
    spec.victims.forEach((victimKind, i) => {
      const victim =
        victimKind === "day-zero"
          ? dayZeroIdentity(random, startMs, endMs)
          : claim(victimKind);
      // Off-hours nights and slow leaks (which need days to show) have fixed days.
      const day =
        kind === "off_hours"
          ? 3 + i
          : kind === "slow_exfiltration"
            ? 3
            : WEEKDAY_ATTACK_DAYS[slot % WEEKDAY_ATTACK_DAYS.length];
      slot += 1;
      plans.push({
        id: `crossgen-${kind}-${i + 1}`,
        kind,
        victim,
        startMs: localAt(random, startMs, victim, day, spec.localHour),
        run: spec.run,
      });
    });
  }
  return plans;
}

/** Look-alikes: [kind, windows]. Rotation and migration rewrite schedules, so they run first. */
function planTraps(ctx, claim, startMs, endMs) {
  const { random } = ctx;
  const at = (agent, day, hour) => localAt(random, startMs, agent, day, hour);
  const tenant = random.pick(TENANTS);
  const inTenant = (a) => a.tenant === tenant;
  const rotated = [
    claim("marketing-mailer", inTenant),
    claim("finance-reconciler", inTenant),
    claim("security-scanner", inTenant),
  ];
  const movers = [
    claim("code-reviewer", inTenant),
    claim("code-reviewer", inTenant),
    claim("code-reviewer", inTenant),
  ];
  const early = [
    [
      "planned_credential_rotation",
      traps.plannedRotation(ctx, rotated, at(rotated[0], 4, 14)),
    ],
    [
      "network_migration",
      traps.networkMigration(ctx, movers, at(movers[0], 3, 7)),
    ],
  ];
  const ci = buildAgent(random, "infra-terraform", 90, tenant, startMs, endMs);
  const late = () => {
    const finance = claim("finance-reconciler");
    const buyer = claim("procurement-bot");
    const pipeline = claim("data-pipeline");
    const scanner = claim("security-scanner");
    const ciStart = at(ci, 4, 10);
    const windows = [
      [
        "quarter_end_report",
        traps.quarterEndReport(ctx, finance, at(finance, 7, 2)),
      ],
      ["new_ci_key_first_deploy", traps.newCiKeyFirstDeploy(ctx, ci, ciStart)],
      ["new_vendor_payee", traps.newVendorPayee(ctx, buyer, at(buyer, 3, 11))],
      [
        "nightly_backfill",
        traps.nightlyBackfill(ctx, pipeline, at(pipeline, 5, 0.5)),
      ],
      [
        "full_security_scan",
        traps.fullSecurityScan(ctx, scanner, at(scanner, 6, 22)),
      ],
    ];
    // The new role carries on with ordinary deploys after its first one.
    normalTraffic(ctx, ci, ciStart + 2 * HOUR, endMs);
    return windows;
  };
  return { early, late };
}

function attackLabel(plan, events, related) {
  const own = events.filter((e) => e.tag === plan.id);
  return label(
    "attack",
    plan.kind,
    plan.id,
    plan.victim,
    plan.startMs,
    own.length ? own[own.length - 1].ms : plan.startMs,
    own,
    related,
  );
}

function label(cls, kind, id, agent, startMs, endMs, own, related = []) {
  const ids = own.map((e) => e.event.event_id);
  const agentsInvolved = new Set([
    ...related,
    ...own.map((e) => e.event.agent.id),
  ]);
  agentsInvolved.delete(agent.id);
  return {
    schema: LABEL_SCHEMA,
    id,
    class: cls,
    kind,
    tenant: agent.tenant.name,
    agent_id: agent.id,
    agent_kind: agent.dayZero ? "unknown" : agent.kind,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    event_count: own.length,
    first_event_time: own.length ? own[0].event.time : null,
    last_event_time: own.length ? own[own.length - 1].event.time : null,
    credential_ids: [...new Set(own.map((e) => e.event.credential.id))].sort(),
    related_agent_ids: [...agentsInvolved].sort(),
    source_ips: [
      ...new Set(own.map((e) => e.event.source?.ip).filter(Boolean)),
    ].sort(),
    event_ids: ids.slice(0, MAX_LABEL_EVENT_IDS),
    event_ids_truncated: ids.length > MAX_LABEL_EVENT_IDS,
  };
}

export function generate({ seed, agents: agentCount, days, start }) {
  const random = createRandom(seed);
  const startMs = Date.parse(`${start}T00:00:00Z`);
  const endMs = startMs + days * DAY;
  const population = buildPopulation(random, agentCount, startMs, endMs);
  const claim = claimer(random, population);
  const ctx = { random, ...createEmitter(random) };
  const attacks = planAttacks(random, claim, startMs, endMs);
  const trapPlan = planTraps(ctx, claim, startMs, endMs);
  for (const agent of population) normalTraffic(ctx, agent, startMs, endMs);
  const related = new Map(
    attacks.map((plan) => [
      plan.id,
      plan.run(ctx, plan.victim, plan.startMs, plan.id),
    ]),
  );
  const trapWindows = [...trapPlan.early, ...trapPlan.late()];
  const events = ctx.events
    .filter((e) => e.ms >= startMs && e.ms < endMs)
    .sort((a, b) => a.ms - b.ms);
  const byAgent = new Map();
  for (const e of events) {
    if (!byAgent.has(e.agentKey)) byAgent.set(e.agentKey, []);
    byAgent.get(e.agentKey).push(e);
  }
  const labels = [
    ...attacks.map((plan) => attackLabel(plan, events, related.get(plan.id))),
    ...trapWindows.flatMap(([kind, windows]) =>
      windows.map((w, i) => {
        const own = (
          byAgent.get(`${w.agent.tenant.name}/${w.agent.id}`) ?? []
        ).filter((e) => e.ms >= w.startMs && e.ms < w.endMs);
        return label(
          "benign",
          kind,
          `crossgen-${kind}-${i + 1}`,
          w.agent,
          w.startMs,
          w.endMs,
          own,
        );
      }),
    ),
  ];
  const summary = {
    generator: "crossgen",
    seed,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    events: events.length,
    attack_events: events.filter((e) => e.tag).length,
    agents: byAgent.size,
  };
  return { events, labels, summary };
}

/** Generates one run into dir; returns its summary. */
export function writeRun(dir, options) {
  const { events, labels, summary } = generate(options);
  mkdirSync(dir, { recursive: true });
  const lines = events.map((e) => JSON.stringify(e.event)).join("\n") + "\n";
  writeFileSync(join(dir, "traffic.ndjson.gz"), gzipSync(lines, { level: 1 }));
  writeFileSync(
    join(dir, "traffic.labels.ndjson"),
    labels.map((l) => JSON.stringify(l)).join("\n") + "\n",
  );
  writeFileSync(join(dir, "simulation.json"), JSON.stringify(summary));
  return summary;
}

export const RUN_OPTIONS = {
  seed: { type: "string", default: "1" },
  agents: { type: "string", default: "130" },
  days: { type: "string", default: "8" },
  start: { type: "string", default: "2026-11-16" },
};

export const runOptions = (values) => ({
  seed: Number(values.seed),
  agents: Number(values.agents),
  days: Number(values.days),
  start: values.start,
});

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { out: { type: "string" }, ...RUN_OPTIONS },
  });
  if (!values.out) throw new Error("crossgen: --out DIR is required");
  process.stdout.write(
    `${JSON.stringify(writeRun(values.out, runOptions(values)))}\n`,
  );
}
