import { KIND_INDEX, kindAt } from "./kinds.js";
import {
  runsStartingIn,
  type Population,
  type RunWindow,
} from "./population.js";
import {
  STREAM,
  below,
  between,
  createRng,
  hashHex,
  pick,
  type Rng,
} from "./random.js";

/**
 * The scenario: which attacks and benign traps happen, to whom, and when. Attacks add their own
 * events on top of normal traffic; traps are normal-but-suspicious-looking behaviour that a good
 * detector must not revoke. Everything here is drawn from the seed, so labels are known before
 * the first event is generated.
 */
export const ATTACK_KINDS = [
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
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export const TRAP_KINDS = [
  "nightly_batch",
  "weekly_report_spike",
  "brand_new_agent",
  "gradual_growth",
  "credential_rotation",
  "network_move",
  "dormant_return",
  "hotfix_deploy",
  "first_deploy",
  "long_llm_job",
] as const;
export type TrapKind = (typeof TRAP_KINDS)[number];

export type EpisodeKind = AttackKind | TrapKind;

export interface EpisodeRequest<K extends EpisodeKind> {
  readonly kind: K;
  readonly count: number;
}

export interface Episode {
  readonly id: string;
  readonly class: "attack" | "benign";
  readonly kind: EpisodeKind;
  readonly agent: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Events per second this episode adds on top of the agent's traffic (0: it only labels). */
  readonly ratePerSecond: number;
  /** Credential sharing: the other agents (population indices) using the victim's credential. */
  readonly accomplices: readonly number[];
  /** Credential sharing: ids of agents Warden has never seen, also using it. */
  readonly strangerIds: readonly string[];
  readonly ips: readonly string[];
  /** Per-episode constant choices (which action a loop repeats, …), drawn once. */
  readonly variant: number;
}

export interface Skipped {
  readonly kind: EpisodeKind;
  readonly reason: string;
}

export interface Scenario {
  readonly episodes: readonly Episode[];
  readonly skipped: readonly Skipped[];
  /** Brand-new agents: no events before this time. */
  readonly birthMs: ReadonlyMap<number, number>;
  /** Long-lived keys rotated by hand at these times (ascending). */
  readonly manualRotationsMs: ReadonlyMap<number, readonly number[]>;
  /** Dormant identities: no traffic of their own in [from, to). */
  readonly silences: ReadonlyMap<number, readonly [number, number]>;
  /** Longer LLM jobs: the agent's model calls grow in tokens over [from, to). */
  readonly llmGrowth: ReadonlyMap<number, readonly [number, number]>;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Parses `all`, `none` or `kind[:count],…` (hyphens or underscores) into requests. */
export function parseEpisodeList<K extends EpisodeKind>(
  text: string,
  known: readonly K[],
): EpisodeRequest<K>[] {
  const trimmed = text.trim();
  if (trimmed === "all") return known.map((kind) => ({ kind, count: 1 }));
  if (trimmed === "none" || trimmed === "") return [];
  return trimmed.split(",").map((item) => {
    const [rawName = "", rawCount] = item.trim().split(":");
    const name = rawName.trim().replaceAll("-", "_");
    const kind = known.find((candidate) => candidate === name);
    if (!kind)
      throw new RangeError(
        `unknown kind "${rawName}" (expected all, none or some of ${known.join(", ")})`,
      );
    const count = rawCount === undefined ? 1 : Number(rawCount);
    if (!Number.isInteger(count) || count < 1 || count > 1000)
      throw new RangeError(`count of ${kind} must be a whole number 1-1000`);
    return { kind, count };
  });
}

// Which kinds of agent make a plausible victim for each attack, in order of preference.
const DIURNAL = [
  KIND_INDEX.supportBot,
  KIND_INDEX.ciAgent,
  KIND_INDEX.procurementBot,
];
// Agents busy every day, so that a silence of days is out of character.
const DORMANT = [
  KIND_INDEX.supportBot,
  KIND_INDEX.procurementBot,
  KIND_INDEX.ciAgent,
];
const VICTIM_KINDS: Record<EpisodeKind, readonly number[]> = {
  runaway_loop: DIURNAL,
  bulk_export: [
    KIND_INDEX.supportBot,
    KIND_INDEX.reportJob,
    KIND_INDEX.dataSync,
  ],
  novel_sensitive_access: DIURNAL,
  privilege_escalation: [KIND_INDEX.ciAgent, KIND_INDEX.supportBot],
  credential_sharing: [
    KIND_INDEX.ciAgent,
    KIND_INDEX.dataSync,
    KIND_INDEX.supportBot,
  ],
  denied_call_probing: DIURNAL,
  off_hours: [KIND_INDEX.supportBot, KIND_INDEX.procurementBot],
  delegation_abuse: [KIND_INDEX.procurementSubagent],
  slow_exfiltration: [
    KIND_INDEX.supportBot,
    KIND_INDEX.dataSync,
    KIND_INDEX.reportJob,
  ],
  control_plane_persistence: [KIND_INDEX.ciAgent, KIND_INDEX.dataSync],
  counterparty_hijack: [KIND_INDEX.procurementBot],
  stolen_workload_credentials: [KIND_INDEX.ciAgent, KIND_INDEX.dataSync],
  dormant_reactivation: DORMANT,
  // Its deploy tools and its repository tools live in different workflows (bursts vs. the rest).
  sequence_hijack: [KIND_INDEX.ciAgent],
  hotfix_deploy: [KIND_INDEX.ciAgent],
  // A key of a kind with peers (bursty CI first), new to Warden.
  new_identity_burst: [KIND_INDEX.ciAgent, KIND_INDEX.supportBot],
  first_deploy: [KIND_INDEX.ciAgent],
  // Kinds whose tools include a model.
  llm_spend_spike: [KIND_INDEX.supportBot, KIND_INDEX.procurementBot],
  long_llm_job: [KIND_INDEX.supportBot, KIND_INDEX.procurementBot],
  dormant_return: DORMANT,
  network_move: [KIND_INDEX.ciAgent, KIND_INDEX.dataSync],
  nightly_batch: [KIND_INDEX.dataSync],
  weekly_report_spike: [KIND_INDEX.reportJob],
  brand_new_agent: DIURNAL,
  gradual_growth: DIURNAL,
  credential_rotation: [KIND_INDEX.dataSync, KIND_INDEX.reportJob],
};

/** Plans every requested episode inside [learning end, end) of the run. */
export function planScenario(options: {
  readonly population: Population;
  readonly startMs: number;
  readonly endMs: number;
  readonly learningEndMs: number;
  readonly attacks: readonly EpisodeRequest<AttackKind>[];
  readonly traps: readonly EpisodeRequest<TrapKind>[];
}): Scenario {
  const { population } = options;
  const rng = createRng(population.seed, STREAM.scenario);
  const used = new Set<number>();
  const episodes: Episode[] = [];
  const skipped: Skipped[] = [];
  const birthMs = new Map<number, number>();
  const manualRotationsMs = new Map<number, number[]>();
  const silences = new Map<number, readonly [number, number]>();
  const llmGrowth = new Map<number, readonly [number, number]>();
  const window = { from: options.learningEndMs, to: options.endMs };
  const requests: { kind: EpisodeKind; cls: "attack" | "benign" }[] = [
    ...options.attacks.flatMap((request) =>
      Array.from({ length: request.count }, () => ({
        kind: request.kind,
        cls: "attack" as const,
      })),
    ),
    ...options.traps.flatMap((request) =>
      Array.from({ length: request.count }, () => ({
        kind: request.kind,
        cls: "benign" as const,
      })),
    ),
  ];
  for (const { kind, cls } of requests) {
    const id = `${cls === "attack" ? "attack" : "trap"}-${episodes.length + skipped.length + 1}`;
    const planned = planOne(kind, { rng, population, used, window });
    if (typeof planned === "string") {
      skipped.push({ kind, reason: planned });
      continue;
    }
    used.add(planned.agent);
    for (const accomplice of planned.accomplices ?? []) used.add(accomplice);
    episodes.push({
      id,
      class: cls,
      kind,
      ratePerSecond: 0,
      accomplices: [],
      strangerIds: [],
      ips: [],
      variant: below(rng, 1 << 30),
      ...planned,
    });
    // A new identity: no events of its own before the episode starts.
    if (
      kind === "brand_new_agent" ||
      kind === "first_deploy" ||
      kind === "new_identity_burst"
    )
      birthMs.set(planned.agent, planned.startMs);
    if (kind === "long_llm_job")
      llmGrowth.set(planned.agent, [planned.startMs, planned.endMs]);
    // The attacker alone acts while the episode lasts; a returning agent resumes its own work.
    if (kind === "dormant_reactivation")
      silences.set(planned.agent, [window.from, planned.endMs]);
    if (kind === "dormant_return")
      silences.set(planned.agent, [window.from, planned.startMs]);
    if (kind === "credential_rotation")
      manualRotationsMs.set(planned.agent, [
        ...(manualRotationsMs.get(planned.agent) ?? []),
        planned.startMs,
      ]);
  }
  episodes.sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  return {
    episodes,
    skipped,
    birthMs,
    manualRotationsMs,
    silences,
    llmGrowth,
  };
}

interface PlanContext {
  readonly rng: Rng;
  readonly population: Population;
  readonly used: ReadonlySet<number>;
  readonly window: { readonly from: number; readonly to: number };
}

type Planned = Pick<Episode, "agent" | "startMs" | "endMs"> &
  Partial<
    Pick<Episode, "ratePerSecond" | "accomplices" | "strangerIds" | "ips">
  >;

function planOne(kind: EpisodeKind, context: PlanContext): Planned | string {
  const { rng } = context;
  switch (kind) {
    case "nightly_batch":
    case "weekly_report_spike":
      return scheduledRun(kind, context);
    case "credential_rotation": {
      const run = scheduledRun(kind, context);
      if (typeof run === "string") return run;
      const rotatedAt =
        run.startMs - Math.round(between(rng, 1, 60) * MINUTE_MS);
      return { ...run, startMs: Math.max(context.window.from, rotatedAt) };
    }
    case "off_hours":
      return offHours(context);
    case "dormant_reactivation":
    case "dormant_return":
      return dormancy(kind, context);
    default:
      break;
  }
  const agent = victim(kind, context);
  if (agent === undefined) return "no agent left to play this part";
  const span = (minutes: [number, number]): [number, number] | string =>
    windowFor(context, between(rng, minutes[0], minutes[1]) * MINUTE_MS);
  const withCalls = (
    minutes: [number, number],
    calls: [number, number],
  ): Planned | string => {
    const times = span(minutes);
    if (typeof times === "string") return times;
    const seconds = (times[1] - times[0]) / 1000;
    return {
      agent,
      startMs: times[0],
      endMs: times[1],
      ratePerSecond: between(rng, calls[0], calls[1]) / seconds,
    };
  };
  switch (kind) {
    case "runaway_loop": {
      const times = span([10, 30]);
      if (typeof times === "string") return times;
      return {
        agent,
        startMs: times[0],
        endMs: times[1],
        ratePerSecond: between(rng, 4, 12),
      };
    }
    case "bulk_export":
      return withCalls([15, 45], [80, 400]);
    case "novel_sensitive_access":
      return withCalls([5, 20], [8, 30]);
    case "privilege_escalation":
      return withCalls([10, 20], [10, 40]);
    case "denied_call_probing":
      return withCalls([10, 30], [60, 200]);
    case "delegation_abuse":
      return withCalls([20, 40], [20, 60]);
    case "slow_exfiltration": {
      const times = span([2 * 24 * 60, 4 * 24 * 60]);
      if (typeof times === "string") return times;
      return {
        agent,
        startMs: times[0],
        endMs: times[1],
        ratePerSecond: between(rng, 2, 6) / 3600,
      };
    }
    case "credential_sharing":
      return credentialSharing(agent, context);
    case "control_plane_persistence":
      return withCalls([5, 15], [4, 12]);
    case "counterparty_hijack":
      return withCalls([10, 30], [3, 10]);
    case "sequence_hijack":
      return withCalls([10, 25], [12, 30]);
    case "hotfix_deploy":
      // An extra deploy outside the usual rhythm: a burst of its own deploy tools.
      return withCalls([4, 8], [30, 50]);
    case "first_deploy":
      // A new CI key's first act: a deploy burst like its peers' (its kind's burst tools).
      return withCalls([3, 6], [30, 50]);
    case "new_identity_burst": {
      // A brand-new key hammering the API at several calls a second from its first call.
      const times = span([2, 5]);
      if (typeof times === "string") return times;
      return {
        agent,
        startMs: times[0],
        endMs: times[1],
        ratePerSecond: between(rng, 3, 8),
      };
    }
    case "llm_spend_spike":
      // A hijacked or looping model user: a few oversized model calls a minute.
      return withCalls([10, 30], [40, 200]);
    case "long_llm_job": {
      // The agent's own model calls grow in tokens (1× to 3×) over a day or two.
      const times = span([24 * 60, 48 * 60]);
      if (typeof times === "string") return times;
      return { agent, startMs: times[0], endMs: times[1] };
    }
    case "stolen_workload_credentials": {
      const planned = withCalls([10, 30], [20, 60]);
      if (typeof planned === "string") return planned;
      // One or two addresses of a network the workload never ran in.
      const ips = Array.from(
        { length: 1 + below(rng, 2) },
        () =>
          `${pick(rng, [34, 52, 104, 178])}.${below(rng, 256)}.${below(rng, 256)}.${1 + below(rng, 254)}`,
      );
      return { ...planned, ips };
    }
    case "network_move": {
      // A second deployment of the workload in another private subnet (blue/green), running
      // beside the first: its own calls, from there.
      const ips = Array.from(
        { length: 2 },
        (_, n) => `10.250.${below(rng, 256)}.${10 + n}`,
      );
      const times = span([6 * 60, 24 * 60]);
      if (typeof times === "string") return times;
      return {
        agent,
        startMs: times[0],
        endMs: times[1],
        ratePerSecond: between(rng, 0.002, 0.01),
        ips,
      };
    }
    case "brand_new_agent": {
      const times = span([24 * 60, 24 * 60]);
      if (typeof times === "string") return times;
      return { agent, startMs: times[0], endMs: times[1] };
    }
    case "gradual_growth":
      return { agent, startMs: context.window.from, endMs: context.window.to };
    default:
      return "no planner for this kind";
  }
}

/** A window of `lengthMs` after learning, shortened when the run is too short to hold it. */
function windowFor(
  context: PlanContext,
  lengthMs: number,
): [number, number] | string {
  const { from, to } = context.window;
  if (to - from < MINUTE_MS)
    return "the run is too short after its learning phase";
  const length = Math.min(lengthMs, to - from);
  const startMs = Math.floor(
    from + (to - from - length) * between(context.rng, 0, 1),
  );
  return [startMs, startMs + Math.round(length)];
}

function victim(kind: EpisodeKind, context: PlanContext): number | undefined {
  const { population, used, rng } = context;
  for (const kindIndex of VICTIM_KINDS[kind]) {
    const members = population.byKind[kindIndex]?.agents ?? new Int32Array();
    const choice = pickUnused(rng, members, used);
    if (choice !== undefined) return choice;
  }
  // A population without the preferred kinds still gets the attack, on whoever is left.
  if (VICTIM_KINDS[kind] === VICTIM_KINDS.delegation_abuse) return undefined;
  return pickUnused(
    rng,
    Int32Array.from({ length: population.size }, (_, i) => i),
    used,
  );
}

function pickUnused(
  rng: Rng,
  members: Int32Array,
  used: ReadonlySet<number>,
): number | undefined {
  // A few random tries, then a scan from a random point: fast for big kinds, complete for small.
  for (let attempt = 0; attempt < 8 && members.length > 0; attempt += 1) {
    const candidate = members[below(rng, members.length)];
    if (candidate !== undefined && !used.has(candidate)) return candidate;
  }
  const offset = members.length > 0 ? below(rng, members.length) : 0;
  for (let step = 0; step < members.length; step += 1) {
    const candidate = members[(offset + step) % members.length];
    if (candidate !== undefined && !used.has(candidate)) return candidate;
  }
  return undefined;
}

function scheduledRun(
  kind: EpisodeKind,
  context: PlanContext,
): Planned | string {
  const kindIndex =
    kind === "weekly_report_spike" ? KIND_INDEX.reportJob : undefined;
  const candidates: RunWindow[] = [];
  for (const index of kindIndex === undefined
    ? VICTIM_KINDS[kind]
    : [kindIndex]) {
    const runs = runsStartingIn(
      context.population,
      index,
      context.window.from,
      context.window.to,
    );
    candidates.push(
      ...runs.filter(
        (run) => run.endMs <= context.window.to && !context.used.has(run.agent),
      ),
    );
    if (candidates.length > 0) break;
  }
  if (candidates.length === 0)
    return `no ${kindAt(VICTIM_KINDS[kind][0] ?? 0).name} run falls after the learning phase`;
  return { ...pick(context.rng, candidates) };
}

function offHours(context: PlanContext): Planned | string {
  const agent = victim("off_hours", context);
  if (agent === undefined) return "no agent left to play this part";
  const { from, to } = context.window;
  const lengthMs = Math.round(between(context.rng, 60, 150) * MINUTE_MS);
  const nights: number[] = [];
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    // Inside 01:00-04:00 UTC, when the business-hours kinds are all but silent.
    const startMs =
      day +
      HOUR_MS +
      Math.round(between(context.rng, 0, 3 * HOUR_MS - lengthMs));
    if (startMs >= from && startMs + lengthMs <= to) nights.push(startMs);
  }
  if (nights.length === 0)
    return "no night (01:00-04:00 UTC) falls after the learning phase";
  const startMs = pick(context.rng, nights);
  return {
    agent,
    startMs,
    endMs: startMs + lengthMs,
    ratePerSecond: between(context.rng, 60, 200) / (lengthMs / 1000),
  };
}

function credentialSharing(
  agent: number,
  context: PlanContext,
): Planned | string {
  const times = windowFor(context, between(context.rng, 60, 180) * MINUTE_MS);
  if (typeof times === "string") return times;
  const { population, rng, used } = context;
  const accomplices: number[] = [];
  const wanted = 2 + below(rng, 5);
  const everyone = Int32Array.from({ length: population.size }, (_, i) => i);
  for (let n = 0; n < wanted; n += 1) {
    const taken = new Set([...used, agent, ...accomplices]);
    const choice = pickUnused(rng, everyone, taken);
    if (choice === undefined) break;
    accomplices.push(choice);
  }
  const strangerIds = Array.from(
    { length: 1 + below(rng, 3) },
    (_, n) => `agent:unregistered/${hashHex(population.seed, agent, n)}`,
  );
  // Addresses outside every tenant's private ranges: the credential left the building.
  const ips = Array.from(
    { length: 15 + below(rng, 26) },
    () =>
      `${pick(rng, [45, 91, 103, 185, 198])}.${below(rng, 256)}.${below(rng, 256)}.${1 + below(rng, 254)}`,
  );
  return {
    agent,
    startMs: times[0],
    endMs: times[1],
    ratePerSecond: between(rng, 0.05, 0.2),
    accomplices,
    strangerIds,
    ips: [...new Set(ips)],
  };
}

/**
 * A busy agent falls silent from the end of learning for 36-56 h (less when the run is short,
 * never under 25 h), then acts again: an attacker with its credential, or the agent itself back
 * at its usual work (the trap's window is its first two hours back).
 */
function dormancy(kind: EpisodeKind, context: PlanContext): Planned | string {
  const agent = victim(kind, context);
  if (agent === undefined) return "no agent left to play this part";
  const { from, to } = context.window;
  const lengthMs =
    kind === "dormant_return"
      ? 2 * HOUR_MS
      : Math.round(between(context.rng, 20, 40) * MINUTE_MS);
  const silenceMs = Math.min(
    between(context.rng, 36, 56) * HOUR_MS,
    to - from - lengthMs,
  );
  if (silenceMs < 25 * HOUR_MS)
    return "the run after its learning phase is too short for a silence of a day";
  const startMs = Math.round(from + silenceMs);
  const endMs = startMs + lengthMs;
  if (kind === "dormant_return") return { agent, startMs, endMs };
  return {
    agent,
    startMs,
    endMs,
    ratePerSecond: between(context.rng, 15, 40) / (lengthMs / 1000),
  };
}
