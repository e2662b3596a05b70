import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  type BaselineModel,
  type Vocabulary,
} from "@warden/shared";
import { generateEvents, planSimulation, type Plan } from "@warden/simulator";
import { KINDS, type KindSpec } from "@warden/simulator";
import { agentAt, agentIp, credentialAt } from "@warden/simulator";
import { hashHex } from "@warden/simulator";
import {
  bucketMeans,
  expectedShares,
  medianTailProbability,
  shareTolerance,
} from "./support/baseline-expected.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";

// The "Done when": a fresh namespace fed by `warden simulate` through the real ingest
// service into the baseline service; the baselines read back through the query API must match
// the simulator's parameters (kind catalogue, agent weights), not its observed output.

const DAY_MS = 86_400_000;
const SEED = 20_261_123;
const AGENTS = 40;
const DAYS = 3;
const TOKEN = "simulated-baseline-token-42";
// Two-sided tail probability below which an observed median is called inconsistent with the
// simulated Poisson process: four medians are checked, so a false alarm is ~1e-3 at most.
const MEDIAN_TAIL = 1e-4;
// The simulator's outcome draw (normal-event.ts): 96.5 % success, 2 % error, 1.5 % denied.
const DENIED_SHARE = 0.015;
const ERROR_SHARE = 0.02;

/** The latest Tuesday 00:00 UTC whose three days end before today: weekdays only, in the window. */
function weekdayStart(nowMs: number): number {
  let day = Math.floor(nowMs / DAY_MS) * DAY_MS - DAYS * DAY_MS;
  while (new Date(day).getUTCDay() !== 2) day -= DAY_MS;
  return day;
}

function simulate(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["cli/dist/main.js", ...args], {
    env: { ...process.env, WARDEN_LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
}

const valuesOf = (vocabulary: Vocabulary): string[] =>
  vocabulary.top.map(([value]) => value);

interface Picked {
  readonly index: number;
  readonly kind: KindSpec;
  readonly events: number;
}

describe("baselines of simulated traffic, through ingest and the query API", () => {
  const names = uniqueNames("baseline-sim");
  const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-sim-"));
  const startMs = weekdayStart(Date.now());
  const plan: Plan = planSimulation({
    seed: SEED,
    agents: AGENTS,
    startMs,
    durationMs: DAYS * DAY_MS,
    scale: 1,
    attacks: [],
    traps: [],
  });
  // Per-agent event counts, only to know when everything has arrived.
  const eventsOf = new Map<number, number>();
  for (const { agent } of generateEvents(plan))
    eventsOf.set(agent, (eventsOf.get(agent) ?? 0) + 1);
  const totalEvents = [...eventsOf.values()].reduce((a, b) => a + b, 0);
  /** The heaviest agent of a kind: the one with the most history to test against. */
  const heaviest = (kindName: string): Picked => {
    const kindIndex = KINDS.findIndex((kind) => kind.name === kindName);
    const kind = KINDS[kindIndex];
    const members = plan.population.byKind[kindIndex]?.agents ?? [];
    let best = -1;
    for (const agent of members)
      if (
        best < 0 ||
        (plan.population.weight[agent] ?? 0) >
          (plan.population.weight[best] ?? 0)
      )
        best = agent;
    if (!kind || best < 0) throw new Error(`seed ${SEED} has no ${kindName}`);
    return { index: best, kind, events: eventsOf.get(best) ?? 0 };
  };
  const support = heaviest("support-bot");
  const subagent = heaviest("procurement-subagent");
  const ci = heaviest("ci-agent");
  const sync = heaviest("data-sync");

  let kafka: Kafka;
  let admin: Admin;
  let ingest: RunningService;
  let baseline: RunningService;
  let api = "";

  async function baselinesOf(picked: Picked): Promise<{
    agent: BaselineModel;
    peer: BaselineModel | null;
    tenant: BaselineModel | null;
  }> {
    const agent = agentAt(plan.population, picked.index);
    const path = `/v1/agents/${encodeURIComponent(agent.tenant)}/${encodeURIComponent(agent.id)}/baseline`;
    return withServiceOutput(() =>
      eventually(
        `${agent.id}'s baseline over ${picked.events} events`,
        async () => {
          const response = await fetch(`${api}${path}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          if (response.status !== 200)
            throw new Error(`${response.status}: ${await response.text()}`);
          const body = (await response.json()) as {
            agent: BaselineModel | null;
            peer: BaselineModel | null;
            tenant: BaselineModel | null;
          };
          return body.agent?.history.events === picked.events
            ? { ...body, agent: body.agent }
            : undefined;
        },
        180_000,
      ),
    );
  }

  /** A failure message that carries the services' logs, which say why data did not arrive. */
  async function withServiceOutput<T>(probe: () => Promise<T>): Promise<T> {
    try {
      return await probe();
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\n--- baseline:\n${baseline.output().slice(-4000)}\n--- ingest:\n${ingest.output().slice(-2000)}`,
      );
    }
  }

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    ingest = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
    });
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    baseline = startService("services/baseline/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      CHDB_PATH: chdbPath,
      BASELINE_API_PORT: String(port),
      BASELINE_API_TOKEN: TOKEN,
      BASELINE_REFRESH_INTERVAL: "3s",
      BASELINE_MIN_HISTORY_EVENTS: "50",
    });
    const run = await simulate(
      [
        "simulate",
        "--kafka",
        "--seed",
        String(SEED),
        "--agents",
        String(AGENTS),
        "--days",
        String(DAYS),
        "--start",
        new Date(startMs).toISOString(),
        "--scale",
        "1",
        "--attacks",
        "none",
        "--traps",
        "none",
        "--json",
      ],
      { WARDEN_NAMESPACE: namespace },
    );
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { events: number }).events).toBe(
      totalEvents,
    );
  }, 240_000);

  afterAll(async () => {
    await ingest?.stop();
    await baseline?.stop();
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  /** Shares of actions, verbs, resource types and sensitivities against the kind's weights. */
  function expectMix(model: BaselineModel, actions: KindSpec["actions"]): void {
    const n = model.history.events;
    const dimensions = [
      ["actions", (a: KindSpec["actions"][number]) => a.name],
      ["verbs", (a: KindSpec["actions"][number]) => a.verb],
      ["resourceTypes", (a: KindSpec["actions"][number]) => a.resource.type],
      [
        "sensitivities",
        (a: KindSpec["actions"][number]) => a.resource.sensitivity,
      ],
    ] as const;
    for (const [dimension, key] of dimensions) {
      const shares = expectedShares(actions, key);
      const vocabulary = model.vocabulary[dimension];
      expect(vocabulary.total, dimension).toBe(n);
      // Every value the kind can produce shows up (the rarest has ≥ 15 % of the calls, and
      // n ≥ 150, so a missing one has probability below 0.85^150 ≈ 3e-11).
      expect(valuesOf(vocabulary).sort(), dimension).toEqual(
        [...shares.keys()].sort(),
      );
      for (const [value, count] of vocabulary.top) {
        const p = shares.get(value) ?? 0;
        expect(
          Math.abs(count / n - p),
          `${dimension} ${value}: ${count}/${n} vs ${p}`,
        ).toBeLessThanOrEqual(shareTolerance(p, n));
      }
    }
  }

  /** Identity vocabularies: what the population functions say the agent carries. */
  function expectIdentity(model: BaselineModel, picked: Picked): void {
    const agent = agentAt(plan.population, picked.index);
    const n = picked.events;
    const kind = picked.kind;
    expect(model.scope).toEqual({
      level: "agent",
      tenant: agent.tenant,
      agentId: agent.id,
      agentKind: kind.name,
    });
    expect(model.trusted).toBe(true);
    expect(model.vocabulary.gateways.top).toEqual([[agent.gateway, n]]);
    expect(model.vocabulary.scopes.top).toEqual(
      [...kind.credential.scopes].sort().map((scope) => [scope, n]),
    );
    const ips = new Set(
      Array.from({ length: kind.ipsPerAgent }, (_, slot) =>
        agentIp(agent, SEED, slot),
      ),
    );
    for (const ip of valuesOf(model.vocabulary.sourceIps))
      expect(ips.has(ip), ip).toBe(true);
    // Each call picks one of the agent's addresses uniformly; with ≥ 50 calls per address a
    // missing one has probability below ips × (1 − 1/ips)^n < 1e-6.
    if (n >= 50 * kind.ipsPerAgent)
      expect(model.vocabulary.sourceIps.distinct).toBe(kind.ipsPerAgent);
    // One instance id per UTC day (events.ts); a busy agent works every day of the run.
    const instances = Array.from(
      { length: DAYS },
      (_, day) =>
        `${kind.name}-${hashHex(SEED, picked.index, Math.floor(startMs / DAY_MS) + day).slice(0, 5)}`,
    );
    expect(valuesOf(model.vocabulary.instances).sort()).toEqual(
      instances.sort(),
    );
    const credentials = new Set<string>();
    for (let at = plan.startMs; at < plan.endMs; at += 60_000)
      credentials.add(credentialAt(agent, SEED, at).id);
    for (const id of valuesOf(model.vocabulary.credentials))
      expect(credentials.has(id), id).toBe(true);
    // Rotating credentials: one id per rotation period the agent called in, never more.
    expect(model.vocabulary.credentials.distinct).toBeLessThanOrEqual(
      credentials.size,
    );
    if (agent.parent === undefined) {
      expect(model.vocabulary.delegationParents.distinct).toBe(0);
      expect(model.maxChainDepth).toBe(1);
    } else {
      expect(model.vocabulary.delegationParents.top).toEqual([
        [agentAt(plan.population, agent.parent).id, n],
      ]);
      expect(model.maxChainDepth).toBe(2);
    }
    // Rates are rounded to three decimals in the model.
    expect(Math.abs(model.deniedRate - DENIED_SHARE)).toBeLessThanOrEqual(
      shareTolerance(DENIED_SHARE, n) + 0.0005,
    );
    expect(Math.abs(model.errorRate - ERROR_SHARE)).toBeLessThanOrEqual(
      shareTolerance(ERROR_SHARE, n) + 0.0005,
    );
    const resourceTypes = new Map(
      [
        ...kind.actions,
        ...(kind.run?.actions ?? []),
        ...(kind.bursts?.actions ?? []),
      ].map((a) => [a.resource.type, a.resource.vocabulary]),
    );
    for (const id of valuesOf(model.vocabulary.resources)) {
      const [type = "", number = ""] = id.split(":");
      expect(resourceTypes.has(type), id).toBe(true);
      expect(Number(number), id).toBeLessThan(resourceTypes.get(type) ?? 0);
    }
  }

  for (const which of ["support", "subagent"] as const)
    it(`learns a background agent's call-rate medians and vocabulary (${which})`, async () => {
      const picked = which === "support" ? support : subagent;
      expect(picked.events, "enough history to test").toBeGreaterThanOrEqual(
        150,
      );
      const { agent: model } = await baselinesOf(picked);
      const where = JSON.stringify(model);
      expectIdentity(model, picked);
      expectMix(model, picked.kind.actions);
      for (const [stats, bucketMs] of [
        [model.ratePerMinute, 60_000],
        [model.ratePerHour, 3_600_000],
      ] as const) {
        const means = bucketMeans(plan, picked.index, picked.kind, bucketMs);
        expect(
          medianTailProbability(means, stats.median),
          `median ${stats.median} per ${bucketMs} ms; ${where}`,
        ).toBeGreaterThan(MEDIAN_TAIL);
      }
      // An hour of the day whose summed mean over the run is ≥ 14 calls is idle with
      // probability below e^-14 < 1e-6: the model must mark it active.
      const hourly = bucketMeans(plan, picked.index, picked.kind, 3_600_000);
      const perHourOfDay = new Array<number>(24).fill(0);
      hourly.forEach((mean, at) => {
        const hour = new Date(plan.startMs + at * 3_600_000).getUTCHours();
        perHourOfDay[hour] = (perHourOfDay[hour] ?? 0) + mean;
      });
      perHourOfDay.forEach((mean, hour) => {
        if (mean >= 14)
          expect((model.activeHoursOfDay >>> hour) & 1, `hour ${hour}`).toBe(1);
      });
      // Periodic (an hour-of-week profile) when ≥ 4 hours of the day (BASELINE_MIN_QUIET_HOURS)
      // have under 5 % of the busiest hour's calls. Judged from the generator's means with a
      // margin either side of 5 % so Poisson noise cannot flip it: an hour below 2 % is
      // surely quiet, one above 10 % surely not; in between, no expectation.
      const busiest = Math.max(...perHourOfDay);
      const surelyQuiet = perHourOfDay.filter((m) => m < 0.02 * busiest).length;
      const maybeQuiet = perHourOfDay.filter((m) => m <= 0.1 * busiest).length;
      if (surelyQuiet >= 4) expect(model.hourOfWeek, where).not.toBeNull();
      if (maybeQuiet < 4) expect(model.hourOfWeek, where).toBeNull();
    });

  it("learns scheduled and bursty kinds' vocabularies (CI agent, data sync)", async () => {
    for (const picked of [ci, sync]) {
      expect(picked.events).toBeGreaterThanOrEqual(150);
      const { agent: model } = await baselinesOf(picked);
      expectIdentity(model, picked);
      const allowed = new Set(
        [
          ...picked.kind.actions,
          ...(picked.kind.run?.actions ?? []),
          ...(picked.kind.bursts?.actions ?? []),
        ].map((a) => a.name),
      );
      for (const action of valuesOf(model.vocabulary.actions))
        expect(allowed.has(action), action).toBe(true);
      // Runs and bursts carry most of these kinds' calls: their main action leads.
      const main = [...(picked.kind.run ?? picked.kind.bursts)!.actions].sort(
        (a, b) => b.weight - a.weight,
      )[0];
      expect(valuesOf(model.vocabulary.actions)).toContain(main?.name);
    }
  });

  it("publishes the peer group and tenant over the simulated agents", async () => {
    const agent = agentAt(plan.population, support.index);
    const inTenant = [...eventsOf.keys()].filter(
      (index) => agentAt(plan.population, index).tenant === agent.tenant,
    );
    const tenantEvents = inTenant.reduce(
      (sum, index) => sum + (eventsOf.get(index) ?? 0),
      0,
    );
    const supportPeers = inTenant.filter(
      (index) => agentAt(plan.population, index).kind.name === "support-bot",
    );
    // Another agent's events may still be on their way when the support bot's are complete.
    const { peer, tenant } = await eventually(
      `tenant ${agent.tenant} over ${tenantEvents} events`,
      async () => {
        const baselines = await baselinesOf(support);
        return baselines.tenant?.history.events === tenantEvents
          ? baselines
          : undefined;
      },
      180_000,
    );
    expect(peer?.scope).toEqual({
      level: "peer",
      tenant: agent.tenant,
      agentKind: "support-bot",
    });
    expect(peer?.history.agents).toBe(supportPeers.length);
    expect(valuesOf(peer!.vocabulary.actions).sort()).toEqual(
      support.kind.actions.map((a) => a.name).sort(),
    );
    expect(tenant?.history.agents).toBe(inTenant.length);
  });
});
