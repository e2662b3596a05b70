import { agentAt } from "@warden/simulator";
import { planSimulation, type Plan } from "@warden/simulator";

/**
 * The demo's traffic: the simulator's seeded population in live mode, with one runaway loop
 * pinned to the end of the learning phase (the simulator would place it anywhere after it)
 * and looping fast enough to cross the detector's hard burst limit (100 calls in 10 s, no
 * baseline needed) within seconds. Pure: the same options give the same plan.
 */
export interface DemoTrafficOptions {
  readonly seed: number;
  readonly agents: number;
  /** Normal traffic, about this many events per second. */
  readonly rate: number;
  readonly learningMs: number;
  readonly nowMs: number;
}

export interface DemoTraffic {
  readonly plan: Plan;
  readonly runaway: {
    readonly tenant: string;
    readonly agentId: string;
    readonly startMs: number;
  };
}

/** Simulated time planned; the demo stops earlier (--duration, Ctrl-C) or when it runs out. */
export const DEMO_PLAN_MS = 24 * 3_600_000;
/** Calls per second of the runaway loop: twice the burst limit's 10/s. */
export const DEMO_LOOP_RATE = 20;
const DEMO_LOOP_MS = 30 * 60_000;

export function planDemoTraffic(options: DemoTrafficOptions): DemoTraffic {
  const plan = planSimulation({
    seed: options.seed,
    agents: options.agents,
    startMs: options.nowMs,
    durationMs: DEMO_PLAN_MS,
    targetEvents: Math.round((options.rate * DEMO_PLAN_MS) / 1000),
    attacks: [{ kind: "runaway_loop", count: 1 }],
    traps: [],
    learningFraction: options.learningMs / DEMO_PLAN_MS,
  });
  const loop = plan.scenario.episodes.find(
    (episode) => episode.kind === "runaway_loop",
  );
  if (!loop)
    throw new Error(
      `the simulator found no agent for the runaway loop: ${JSON.stringify(plan.scenario.skipped)}`,
    );
  const startMs = plan.learningEndMs;
  const pinned = {
    ...loop,
    startMs,
    endMs: startMs + DEMO_LOOP_MS,
    ratePerSecond: DEMO_LOOP_RATE,
  };
  const agent = agentAt(plan.population, loop.agent);
  return {
    plan: {
      ...plan,
      scenario: { ...plan.scenario, episodes: [pinned] },
    },
    runaway: { tenant: agent.tenant, agentId: agent.id, startMs },
  };
}
