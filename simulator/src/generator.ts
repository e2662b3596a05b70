import type { AuditEventV1 } from "@warden/shared";
import { MinHeap } from "./heap.js";
import { buildEvent } from "./events.js";
import { SOURCE, type EventContext } from "./normal-event.js";
import { KINDS, hourlyFactor, type KindSpec } from "./kinds.js";
import {
  createPopulation,
  runsStartingIn,
  type Population,
} from "./population.js";
import {
  STREAM,
  between,
  createRng,
  poisson,
  sampleCumulative,
  unit,
  type Rng,
} from "./random.js";
import {
  planScenario,
  type AttackKind,
  type Episode,
  type EpisodeRequest,
  type Scenario,
  type TrapKind,
} from "./scenario.js";

/**
 * The generator core: arrivals are drawn one UTC hour (a "slice") at a time and emitted in
 * event-time order. Within a slice each kind's traffic is one Poisson process whose rate is the
 * kind's hourly profile times the summed weights of its agents; each arrival then goes to an
 * agent in proportion to its weight (the superposition of the agents' own Poisson processes).
 * Runs, deploy bursts and attacks that spill past the slice wait in a heap, so memory holds one
 * slice of arrivals and never the whole run.
 */

export interface SimulationOptions {
  readonly seed: number;
  readonly agents: number;
  readonly startMs: number;
  readonly durationMs: number;
  /** Events wanted from normal traffic (attacks come on top); sets `scale`. */
  readonly targetEvents?: number;
  /** Multiplier of every agent's normal rates; 1 = the catalogue's realistic rates. */
  readonly scale?: number;
  readonly attacks: readonly EpisodeRequest<AttackKind>[];
  readonly traps: readonly EpisodeRequest<TrapKind>[];
  /** Share of the run kept free of attacks and traps, for detectors to learn what is normal. */
  readonly learningFraction?: number;
}

export const DEFAULT_LEARNING_FRACTION = 0.3;

export interface Plan {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly learningEndMs: number;
  readonly scale: number;
  readonly expectedNormalEvents: number;
  readonly population: Population;
  readonly scenario: Scenario;
}

export interface Generated {
  readonly event: AuditEventV1;
  readonly timeMs: number;
  readonly agent: number;
  readonly episode: Episode | undefined;
}

interface Arrival {
  readonly timeMs: number;
  readonly order: number;
  readonly agent: number;
  readonly source: number;
  readonly episode: number;
}

const HOUR_MS = 3_600_000;
// Gradual growth (benign trap): the agent ends the run at this many times its normal rate.
const GROWTH_FINAL_FACTOR = 3;

export function planSimulation(options: SimulationOptions): Plan {
  const endMs = options.startMs + options.durationMs;
  const learningEndMs =
    options.startMs +
    Math.round(
      options.durationMs *
        (options.learningFraction ?? DEFAULT_LEARNING_FRACTION),
    );
  const population = createPopulation(options.seed, options.agents);
  const unitExpected = expectedNormalEvents(
    population,
    options.startMs,
    endMs,
    1,
  );
  const scale =
    options.targetEvents !== undefined && unitExpected > 0
      ? options.targetEvents / unitExpected
      : (options.scale ?? 1);
  const scenario = planScenario({
    population,
    startMs: options.startMs,
    endMs,
    learningEndMs,
    attacks: options.attacks,
    traps: options.traps,
  });
  return {
    seed: options.seed,
    startMs: options.startMs,
    endMs,
    learningEndMs,
    scale,
    expectedNormalEvents: unitExpected * scale,
    population,
    scenario,
  };
}

/** The mean number of normal (non-attack) events in [startMs, endMs) at a given scale. */
export function expectedNormalEvents(
  population: Population,
  startMs: number,
  endMs: number,
  scale: number,
): number {
  let total = 0;
  forEachSlice(startMs, endMs, (from, to, hour, weekend) => {
    const hours = (to - from) / HOUR_MS;
    KINDS.forEach((kind, kindIndex) => {
      const weight = population.byKind[kindIndex]?.totalWeight ?? 0;
      total += backgroundMean(kind, weight, hour, weekend, hours, scale);
      if (kind.bursts)
        total +=
          burstMean(kind, weight, hour, weekend, hours, scale) *
          kind.bursts.calls;
      if (kind.run)
        for (const run of runsStartingIn(population, kindIndex, from, to))
          total += scale * (population.weight[run.agent] ?? 0) * kind.run.calls;
    });
  });
  return total;
}

function backgroundMean(
  kind: KindSpec,
  weight: number,
  hour: number,
  weekend: boolean,
  hours: number,
  scale: number,
): number {
  return (
    ((scale * weight * kind.callsPerDay) / 24) *
    hourlyFactor(kind, hour, weekend) *
    hours
  );
}

function burstMean(
  kind: KindSpec,
  weight: number,
  hour: number,
  weekend: boolean,
  hours: number,
  scale: number,
): number {
  const perDay = kind.bursts?.perDay ?? 0;
  return (
    ((scale * weight * perDay) / 24) * hourlyFactor(kind, hour, weekend) * hours
  );
}

function forEachSlice(
  startMs: number,
  endMs: number,
  visit: (from: number, to: number, hour: number, weekend: boolean) => void,
): void {
  for (let from = startMs; from < endMs;) {
    const to = Math.min(endMs, (Math.floor(from / HOUR_MS) + 1) * HOUR_MS);
    const date = new Date(from);
    const day = date.getUTCDay();
    visit(from, to, date.getUTCHours(), day === 0 || day === 6);
    from = to;
  }
}

function arrivalBefore(a: Arrival, b: Arrival): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.order < b.order);
}

/** Every event of the plan, in event-time order. Same plan, same sequence. */
export function* generateEvents(
  plan: Plan,
): Generator<Generated, void, undefined> {
  const { population, scenario } = plan;
  const arrivalsRng = createRng(plan.seed, STREAM.arrivals);
  const context: EventContext = {
    population,
    rng: createRng(plan.seed, STREAM.events),
    manualRotationsMs: scenario.manualRotationsMs,
    llmGrowth: scenario.llmGrowth,
    eventIdPrefix: `sim-${(plan.seed >>> 0).toString(16)}-`,
  };
  const later = new MinHeap<Arrival>(arrivalBefore);
  let order = 0;
  let sequence = 0;
  const slices: [number, number, number, boolean][] = [];
  forEachSlice(plan.startMs, plan.endMs, (from, to, hour, weekend) =>
    slices.push([from, to, hour, weekend]),
  );
  for (const [from, to, hour, weekend] of slices) {
    const now: Arrival[] = [];
    const add = (
      timeMs: number,
      agent: number,
      source: number,
      episode: number,
    ): void => {
      if (
        timeMs >= plan.endMs ||
        timeMs < (scenario.birthMs.get(agent) ?? -Infinity)
      )
        return;
      const silence = episode < 0 ? scenario.silences.get(agent) : undefined;
      if (silence && timeMs >= silence[0] && timeMs < silence[1]) return;
      const arrival = { timeMs, order: order++, agent, source, episode };
      if (timeMs < to) now.push(arrival);
      else later.push(arrival);
    };
    drawNormal(plan, arrivalsRng, from, to, hour, weekend, add);
    drawEpisodes(plan, arrivalsRng, from, to, hour, weekend, add);
    for (
      let next = later.peek();
      next && next.timeMs < to;
      next = later.peek()
    ) {
      later.pop();
      now.push(next);
    }
    now.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
    for (const arrival of now) {
      const episode =
        arrival.episode >= 0 ? scenario.episodes[arrival.episode] : undefined;
      yield {
        event: buildEvent(
          context,
          sequence,
          arrival.timeMs,
          arrival.agent,
          arrival.source,
          episode,
        ),
        timeMs: arrival.timeMs,
        agent: arrival.agent,
        episode,
      };
      sequence += 1;
    }
  }
}

type AddArrival = (
  timeMs: number,
  agent: number,
  source: number,
  episode: number,
) => void;

function drawNormal(
  plan: Plan,
  rng: Rng,
  from: number,
  to: number,
  hour: number,
  weekend: boolean,
  add: AddArrival,
): void {
  const { population, scale } = plan;
  const hours = (to - from) / HOUR_MS;
  KINDS.forEach((kind, kindIndex) => {
    const members = population.byKind[kindIndex];
    if (!members || members.agents.length === 0) return;
    const weight = members.totalWeight;
    const calls = poisson(
      rng,
      backgroundMean(kind, weight, hour, weekend, hours, scale),
    );
    for (let n = 0; n < calls; n += 1)
      add(
        from + Math.floor(unit(rng) * (to - from)),
        members.agents[sampleCumulative(rng, members.cumulativeWeight)] ?? 0,
        SOURCE.background,
        -1,
      );
    if (kind.bursts) {
      const bursts = poisson(
        rng,
        burstMean(kind, weight, hour, weekend, hours, scale),
      );
      for (let n = 0; n < bursts; n += 1) {
        const agent =
          members.agents[sampleCumulative(rng, members.cumulativeWeight)] ?? 0;
        const startMs = from + Math.floor(unit(rng) * (to - from));
        const lengthMs = kind.bursts.minutes * between(rng, 0.5, 1.5) * 60_000;
        spread(
          rng,
          poisson(rng, kind.bursts.calls),
          startMs,
          lengthMs,
          agent,
          SOURCE.burst,
          add,
        );
      }
    }
    if (kind.run)
      for (const run of runsStartingIn(population, kindIndex, from, to)) {
        const calls = poisson(
          rng,
          scale * (population.weight[run.agent] ?? 0) * kind.run.calls,
        );
        spread(
          rng,
          calls,
          run.startMs,
          run.endMs - run.startMs,
          run.agent,
          SOURCE.run,
          add,
        );
      }
  });
}

function spread(
  rng: Rng,
  calls: number,
  startMs: number,
  lengthMs: number,
  agent: number,
  source: number,
  add: AddArrival,
): void {
  for (let n = 0; n < calls; n += 1)
    add(startMs + Math.floor(unit(rng) * lengthMs), agent, source, -1);
}

function drawEpisodes(
  plan: Plan,
  rng: Rng,
  from: number,
  to: number,
  hour: number,
  weekend: boolean,
  add: AddArrival,
): void {
  plan.scenario.episodes.forEach((episode, index) => {
    const overlapFrom = Math.max(from, episode.startMs);
    const overlapTo = Math.min(to, episode.endMs);
    if (overlapFrom >= overlapTo) return;
    const rate =
      episode.kind === "gradual_growth"
        ? growthRate(
            plan,
            episode,
            (overlapFrom + overlapTo) / 2,
            hour,
            weekend,
          )
        : episode.ratePerSecond;
    const calls = poisson(rng, (rate * (overlapTo - overlapFrom)) / 1000);
    const source = episode.class === "attack" ? index : SOURCE.background;
    for (let n = 0; n < calls; n += 1)
      add(
        overlapFrom + Math.floor(unit(rng) * (overlapTo - overlapFrom)),
        episode.agent,
        source,
        index,
      );
  });
}

/** Extra calls per second of a growing agent: zero at the episode's start, (final - 1)× at its end. */
function growthRate(
  plan: Plan,
  episode: Episode,
  atMs: number,
  hour: number,
  weekend: boolean,
): number {
  const kind = KINDS[plan.population.kindOf[episode.agent] ?? 0];
  if (!kind) return 0;
  const progress = (atMs - episode.startMs) / (episode.endMs - episode.startMs);
  const perHour = backgroundMean(
    kind,
    plan.population.weight[episode.agent] ?? 0,
    hour,
    weekend,
    1,
    plan.scale,
  );
  return (perHour / 3600) * (GROWTH_FINAL_FACTOR - 1) * progress || 0;
}
