import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { validateAuditEvent, type AuditEventV1 } from "@warden/shared";
import {
  generateEvents,
  planSimulation,
  type Generated,
  type SimulationOptions,
} from "./generator.js";
import { ATTACK_KINDS, TRAP_KINDS } from "./scenario.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const START = Date.parse("2026-11-02T00:00:00Z");

function options(
  overrides: Partial<SimulationOptions> = {},
): SimulationOptions {
  return {
    seed: 1,
    agents: 40,
    startMs: START,
    durationMs: DAY_MS,
    attacks: [],
    traps: [],
    ...overrides,
  };
}

function lines(simulation: SimulationOptions): string[] {
  return [...generateEvents(planSimulation(simulation))].map((g) =>
    JSON.stringify(g.event),
  );
}

describe("generateEvents", () => {
  it(
    "gives identical bytes for the same seed and different ones for another seed",
    { timeout: 60_000 },
    () => {
      const run = options({ attacks: [{ kind: "bulk_export", count: 1 }] });
      const first = lines(run);
      expect(first.length).toBeGreaterThan(1_000);
      expect(lines(run)).toEqual(first);
      expect(lines({ ...run, seed: 2 })).not.toEqual(first);
    },
  );

  it(
    "emits valid events in event-time order with unique ids, inside the run",
    { timeout: 120_000 },
    () => {
      const arbitrary = fc.record({
        seed: fc.integer({ min: 0, max: 0xffff_ffff }),
        agents: fc.integer({ min: 1, max: 12 }),
        hours: fc.integer({ min: 1, max: 36 }),
        offsetMinutes: fc.integer({ min: 0, max: 7 * 24 * 60 }),
        // Not the runaway loop: its thousands of near-identical calls would dominate the time.
        attacks: fc.subarray(
          ATTACK_KINDS.filter((kind) => kind !== "runaway_loop"),
        ),
        traps: fc.subarray([...TRAP_KINDS]),
        scale: fc.double({ min: 0.05, max: 0.3, noNaN: true }),
      });
      fc.assert(
        fc.property(arbitrary, (draw) => {
          const startMs = START + draw.offsetMinutes * 60_000;
          const plan = planSimulation({
            seed: draw.seed,
            agents: draw.agents,
            startMs,
            durationMs: draw.hours * HOUR_MS,
            scale: draw.scale,
            attacks: draw.attacks.map((kind) => ({ kind, count: 1 })),
            traps: draw.traps.map((kind) => ({ kind, count: 1 })),
          });
          let previous = -Infinity;
          const ids = new Set<string>();
          for (const { event, timeMs } of generateEvents(plan)) {
            const validation = validateAuditEvent(
              JSON.parse(JSON.stringify(event)),
            );
            if (!validation.ok)
              throw new Error(
                `${JSON.stringify(validation.problems)} in ${JSON.stringify(event)}`,
              );
            expect(Date.parse(event.time)).toBe(timeMs);
            expect(timeMs).toBeGreaterThanOrEqual(previous);
            expect(timeMs).toBeGreaterThanOrEqual(startMs);
            expect(timeMs).toBeLessThan(plan.endMs);
            expect(ids.has(event.event_id)).toBe(false);
            ids.add(event.event_id);
            previous = timeMs;
          }
        }),
        { numRuns: 12 },
      );
    },
  );

  it("hits a requested volume of normal events", { timeout: 60_000 }, () => {
    const plan = planSimulation(
      options({ agents: 300, durationMs: 3 * DAY_MS, targetEvents: 10_000 }),
    );
    let count = 0;
    for (const _ of generateEvents(plan)) count += 1;
    expect(count).toBeGreaterThan(9_500);
    expect(count).toBeLessThan(10_500);
  });

  it(
    "follows the kinds' daily rhythm: support bots are busy by day and quiet at night",
    { timeout: 60_000 },
    () => {
      const byHour = new Array<number>(24).fill(0);
      for (const { event, timeMs } of generateEvents(
        planSimulation(options({ agents: 100 })),
      ))
        if (event.agent.kind === "support-bot") {
          const hour = new Date(timeMs).getUTCHours();
          byHour[hour] = (byHour[hour] ?? 0) + 1;
        }
      expect(byHour[10] ?? 0).toBeGreaterThan(20 * (byHour[3] ?? 0));
    },
  );

  it(
    "moves heavy-tailed bytes: the largest transfer dwarfs the median",
    { timeout: 60_000 },
    () => {
      const bytes = [
        ...generateEvents(planSimulation(options({ agents: 100 }))),
      ]
        .map((g) => g.event.bytes_out ?? 0)
        .sort((a, b) => a - b);
      const median = bytes[Math.floor(bytes.length / 2)] ?? 1;
      expect((bytes[bytes.length - 1] ?? 0) / median).toBeGreaterThan(1_000);
    },
  );
});

describe("attacks land in the data", () => {
  const plan = planSimulation(
    options({
      seed: 5,
      agents: 120,
      // From a Sunday, so the weekly report runs of Monday fall after the learning phase.
      startMs: START - DAY_MS,
      durationMs: 4 * DAY_MS,
      learningFraction: 0.2,
      scale: 0.5,
      attacks: ATTACK_KINDS.map((kind) => ({ kind, count: 1 })),
      traps: TRAP_KINDS.map((kind) => ({ kind, count: 1 })),
    }),
  );
  let events: Generated[] = [];
  beforeAll(() => {
    events = [...generateEvents(plan)];
  }, 60_000);
  const episode = (kind: string) => {
    const found = plan.scenario.episodes.find((e) => e.kind === kind);
    if (!found)
      throw new Error(
        `${kind} was not planned: ${JSON.stringify(plan.scenario.skipped)}`,
      );
    return found;
  };
  const tagged = (kind: string): AuditEventV1[] =>
    events.filter((g) => g.episode?.kind === kind).map((g) => g.event);

  it("plans them all", () => {
    expect(plan.scenario.skipped).toEqual([]);
  });

  it("runaway loop: one call repeated far faster than the agent ever calls", () => {
    const loop = episode("runaway_loop");
    const own = events.filter(
      (g) => g.agent === loop.agent && !g.episode,
    ).length;
    const normalPerHour = own / (4 * 24);
    const loopPerHour =
      tagged("runaway_loop").length / ((loop.endMs - loop.startMs) / HOUR_MS);
    expect(loopPerHour).toBeGreaterThan(50 * normalPerHour);
    expect(new Set(tagged("runaway_loop").map((e) => e.action.name)).size).toBe(
      1,
    );
  });

  it("bulk export: exports of restricted data, tens of megabytes each", () => {
    const exports = tagged("bulk_export");
    expect(exports.length).toBeGreaterThan(20);
    for (const event of exports) {
      expect(event.action.verb).toBe("export");
      expect(event.resource?.sensitivity).toBe("restricted");
    }
    const total = exports.reduce((sum, e) => sum + (e.bytes_out ?? 0), 0);
    expect(total / exports.length).toBeGreaterThan(5e6);
  });

  it("credential sharing: one credential, many addresses and several agent ids", () => {
    const shared = tagged("credential_sharing");
    const victimCredentials = new Set(shared.map((e) => e.credential.id));
    expect(
      new Set(shared.map((e) => e.source?.ip)).size,
    ).toBeGreaterThanOrEqual(10);
    expect(new Set(shared.map((e) => e.agent.id)).size).toBeGreaterThanOrEqual(
      3,
    );
    // Every credential used belongs to the victim (its tokens rotate, so there may be a few).
    const victimId = events.find(
      (g) => g.agent === episode("credential_sharing").agent,
    )?.event.agent.id;
    const victimOwn = new Set(
      events
        .filter((g) => g.event.agent.id === victimId)
        .map((g) => g.event.credential.id),
    );
    for (const id of victimCredentials) expect(victimOwn.has(id)).toBe(true);
  });

  it("denied-call probing and privilege escalation are refused, the latter with admin verbs", () => {
    const probes = tagged("denied_call_probing");
    expect(
      probes.filter((e) => e.outcome === "denied").length / probes.length,
    ).toBeGreaterThan(0.75);
    const escalation = tagged("privilege_escalation");
    expect(escalation.every((e) => e.action.verb === "admin")).toBe(true);
    expect(escalation.some((e) => e.outcome === "denied")).toBe(true);
  });

  it("novel sensitive access reaches restricted resource types the agent never touched before", () => {
    const novel = episode("novel_sensitive_access");
    const before = new Set(
      events
        .filter((g) => g.agent === novel.agent && g.timeMs < novel.startMs)
        .map((g) => g.event.resource?.type),
    );
    for (const event of tagged("novel_sensitive_access")) {
      expect(event.resource?.sensitivity).toBe("restricted");
      expect(before.has(event.resource?.type)).toBe(false);
    }
  });

  it("off-hours activity happens between 01:00 and 04:00 UTC", () => {
    for (const event of tagged("off_hours"))
      expect(new Date(event.time).getUTCHours()).toBeLessThan(4);
  });

  it("delegation abuse comes down a delegation chain to data the chain never touches", () => {
    for (const event of tagged("delegation_abuse")) {
      expect(event.delegation?.length).toBe(2);
      expect(event.resource?.sensitivity).toBe("restricted");
    }
  });

  it("slow exfiltration: small exports to an outside host, spread over days", () => {
    const leaks = tagged("slow_exfiltration");
    expect(
      leaks.every(
        (e) =>
          e.action.verb === "export" &&
          e.action.target?.includes("example-share.net"),
      ),
    ).toBe(true);
    const spanMs =
      Date.parse(leaks[leaks.length - 1]?.time ?? "") -
      Date.parse(leaks[0]?.time ?? "");
    expect(spanMs).toBeGreaterThan(DAY_MS);
  });

  it("a brand-new agent has no events before it appears, and a rotated key changes at rotation", () => {
    const born = episode("brand_new_agent");
    const own = events.filter((g) => g.agent === born.agent);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((g) => g.timeMs >= born.startMs)).toBe(true);
    const rotation = episode("credential_rotation");
    const keys = (keep: (timeMs: number) => boolean): Set<string> =>
      new Set(
        events
          .filter((g) => g.agent === rotation.agent && keep(g.timeMs))
          .map((g) => g.event.credential.id),
      );
    const before = keys((t) => t < rotation.startMs);
    const after = keys((t) => t >= rotation.startMs);
    expect(after.size).toBe(1);
    for (const id of after) expect(before.has(id)).toBe(false);
  });

  it("dormancy: a busy agent silent for over a day, then an attacker on sensitive data, or the agent back at its work", () => {
    for (const kind of ["dormant_reactivation", "dormant_return"]) {
      const dormant = episode(kind);
      const [from, to] = plan.scenario.silences.get(dormant.agent) ?? [0, 0];
      expect(dormant.startMs - from).toBeGreaterThanOrEqual(25 * HOUR_MS);
      const own = events.filter((g) => g.agent === dormant.agent);
      expect(own.some((g) => g.timeMs < from)).toBe(true);
      expect(
        own.filter((g) => g.timeMs >= from && g.timeMs < to && !g.episode),
      ).toEqual([]);
      expect(own.some((g) => g.timeMs >= dormant.endMs && !g.episode)).toBe(
        true,
      );
    }
    const attack = tagged("dormant_reactivation");
    expect(attack.length).toBeGreaterThan(5);
    expect(
      attack.filter((e) => e.resource?.sensitivity === "restricted").length,
    ).toBeGreaterThan(attack.length / 3);
  });

  it("sequence hijack: a CI agent's own tools in a chain its runs never make; a hotfix deploy is a burst of its deploy tools", () => {
    const chain = tagged("sequence_hijack").map((e) => e.action.name);
    expect(chain.length).toBeGreaterThan(5);
    const pairs = chain.slice(1).map((name, i) => `${chain[i]}>${name}`);
    const crossing = pairs.filter((pair) =>
      [
        "github.repos.clone>k8s.deployments.patch",
        "k8s.deployments.patch>github.checks.create",
        "github.checks.create>k8s.deployments.patch",
        "k8s.deployments.patch>github.repos.clone",
      ].includes(pair),
    );
    expect(crossing.length).toBeGreaterThan(pairs.length / 2);
    const hotfix = episode("hotfix_deploy");
    const deploys = events.filter((g) => g.episode === hotfix);
    expect(deploys.length).toBeGreaterThan(10);
    expect(
      deploys.every((g) =>
        [
          "ci.jobs.run",
          "artifacts.upload",
          "k8s.deployments.patch",
          "secrets.read",
        ].includes(g.event.action.name),
      ),
    ).toBe(true);
  });

  it("new identities: a first deploy and a burst from a key never seen before both start the agent's history", () => {
    for (const kind of ["first_deploy", "new_identity_burst"]) {
      const born = episode(kind);
      const own = events.filter((g) => g.agent === born.agent);
      expect(own.every((g) => g.timeMs >= born.startMs)).toBe(true);
      expect(own[0]?.episode).toBe(born);
    }
    const burst = episode("new_identity_burst");
    const perSecond =
      tagged("new_identity_burst").length /
      ((burst.endMs - burst.startMs) / 1000);
    expect(perSecond).toBeGreaterThan(2);
    const deploy = events.filter((g) => g.episode === episode("first_deploy"));
    expect(deploy.length).toBeGreaterThan(10);
  });

  it("model calls carry usage; a spend spike is 20–100× the agent's usual tokens, a longer job rises gradually", () => {
    const tokens = (e: AuditEventV1): number =>
      (e.usage?.input_tokens ?? 0) + (e.usage?.output_tokens ?? 0);
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const spike = episode("llm_spend_spike");
    const usual = events
      .filter((g) => g.agent === spike.agent && !g.episode && g.event.usage)
      .map((g) => tokens(g.event));
    expect(usual.length).toBeGreaterThan(5);
    const burned = tagged("llm_spend_spike");
    expect(burned.every((e) => e.action.name === "llm.chat.complete")).toBe(
      true,
    );
    const ratio = median(burned.map(tokens)) / median(usual);
    expect(ratio).toBeGreaterThan(12);
    expect(ratio).toBeLessThan(160);
    expect(burned.every((e) => (e.usage?.cost_usd ?? 0) > 0)).toBe(true);
    const job = episode("long_llm_job");
    const own = events.filter((g) => g.agent === job.agent && g.event.usage);
    const inJob = own.filter(
      (g) => g.timeMs >= job.startMs && g.timeMs < job.endMs,
    );
    const before = median(
      own.filter((g) => !inJob.includes(g)).map((g) => tokens(g.event)),
    );
    const late = median(
      inJob.slice(Math.floor(inJob.length / 2)).map((g) => tokens(g.event)),
    );
    expect(inJob.length).toBeGreaterThan(10);
    expect(late / before).toBeGreaterThan(1.3);
    expect(late / before).toBeLessThan(4);
  });

  it("gradual growth: extra calls grow from nothing to twice the agent's own", () => {
    const growth = episode("gradual_growth");
    const third = (growth.endMs - growth.startMs) / 3;
    // Extra calls over the agent's own in the same stretch, which cancels out weekdays and hours.
    const extraShare = (from: number, to: number): number => {
      const own = events.filter(
        (g) => g.agent === growth.agent && g.timeMs >= from && g.timeMs < to,
      );
      return (
        own.filter((g) => g.episode === growth).length /
        own.filter((g) => !g.episode).length
      );
    };
    const first = extraShare(growth.startMs, growth.startMs + third);
    const last = extraShare(growth.endMs - third, growth.endMs);
    expect(first).toBeLessThan(0.6);
    expect(last).toBeGreaterThan(1.2);
  });
});
