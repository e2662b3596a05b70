import {
  GATEWAYS_PER_TENANT,
  KIND_INDEX,
  KINDS,
  TENANTS,
  kindAt,
  type KindSpec,
} from "./kinds.js";
import { cumulativeOf, hash32, hashHex, hashUnit } from "./random.js";

/**
 * The agent population. Only what sampling needs is held per agent — kind and activity weight
 * in typed arrays (about 13 bytes an agent, so 500,000 agents fit in a few MiB); everything
 * else about an agent (id, owner, tenant, IPs, credential, schedule) is a pure function of
 * (seed, agent index), recomputed when an event is built.
 */
export interface Population {
  readonly seed: number;
  readonly size: number;
  readonly kindOf: Uint8Array;
  readonly weight: Float32Array;
  /** Per kind: its agents, and the running sum of their weights for weighted sampling. */
  readonly byKind: readonly KindMembers[];
}

export interface KindMembers {
  readonly agents: Int32Array;
  readonly cumulativeWeight: Float64Array;
  readonly totalWeight: number;
  /** Scheduled kinds: agents sorted by run start offset (in the day or the week). */
  readonly runOffsetsMs: Float64Array;
  readonly runAgents: Int32Array;
}

export interface Agent {
  readonly index: number;
  readonly kindIndex: number;
  readonly kind: KindSpec;
  readonly id: string;
  readonly tenant: string;
  readonly owner: string;
  readonly ownerIndex: number;
  readonly gateway: string;
  /** The procurement bot a sub-agent works for; undefined for everyone else. */
  readonly parent: number | undefined;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
// Agents per owner on average: a team owns a handful of agents.
const AGENTS_PER_OWNER = 6;
// Spread of agent activity within a kind (log-normal sigma): a few agents do most of the work.
const WEIGHT_SIGMA = 0.9;

const SALT = {
  kind: 1,
  weight: 2,
  owner: 3,
  tenant: 4,
  gateway: 5,
  ip: 6,
  parent: 7,
  runStart: 8,
  runLength: 9,
  runDay: 10,
  credential: 11,
  phase: 12,
  firstName: 13,
  lastName: 14,
} as const;

const FIRST_NAMES = [
  "ada",
  "bo",
  "chen",
  "dana",
  "erin",
  "femi",
  "gus",
  "hana",
  "ivan",
  "jo",
  "kai",
  "lena",
  "mo",
  "nia",
  "omar",
  "pia",
  "quinn",
  "ravi",
  "sara",
  "tom",
];
const LAST_NAMES = [
  "ng",
  "okafor",
  "smith",
  "garcia",
  "kowalski",
  "tanaka",
  "haddad",
  "berg",
  "silva",
  "moreau",
  "rossi",
  "novak",
  "dubois",
  "khan",
  "lee",
  "meyer",
];

export function createPopulation(seed: number, size: number): Population {
  const shares = cumulativeOf(KINDS.map((kind) => kind.share));
  const totalShare = shares[shares.length - 1] ?? 1;
  const kindOf = new Uint8Array(size);
  const weight = new Float32Array(size);
  const counts = new Array<number>(KINDS.length).fill(0);
  for (let index = 0; index < size; index += 1) {
    const draw = hashUnit(seed, index, SALT.kind) * totalShare;
    let kind = 0;
    while ((shares[kind] ?? totalShare) <= draw) kind += 1;
    kindOf[index] = kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
    weight[index] = Math.exp(
      WEIGHT_SIGMA * hashNormal(seed, index, SALT.weight) -
        (WEIGHT_SIGMA * WEIGHT_SIGMA) / 2,
    );
  }
  const byKind = KINDS.map((kind, kindIndex) =>
    membersOf(seed, kind, kindIndex, kindOf, weight, counts[kindIndex] ?? 0),
  );
  return { seed, size, kindOf, weight, byKind };
}

function membersOf(
  seed: number,
  kind: KindSpec,
  kindIndex: number,
  kindOf: Uint8Array,
  weight: Float32Array,
  count: number,
): KindMembers {
  const agents = new Int32Array(count);
  const cumulativeWeight = new Float64Array(count);
  let filled = 0;
  let sum = 0;
  for (let index = 0; index < kindOf.length; index += 1) {
    if (kindOf[index] !== kindIndex) continue;
    agents[filled] = index;
    sum += weight[index] ?? 0;
    cumulativeWeight[filled] = sum;
    filled += 1;
  }
  const offsets = kind.run
    ? Array.from(agents, (agent) => ({
        agent,
        offset: runOffsetMs(seed, kind, agent),
      })).sort((a, b) => a.offset - b.offset || a.agent - b.agent)
    : [];
  return {
    agents,
    cumulativeWeight,
    totalWeight: sum,
    runOffsetsMs: Float64Array.from(offsets, (entry) => entry.offset),
    runAgents: Int32Array.from(offsets, (entry) => entry.agent),
  };
}

/** When an agent's scheduled run starts, from midnight (nightly) or Monday 00:00 UTC (weekly). */
export function runOffsetMs(
  seed: number,
  kind: KindSpec,
  agent: number,
): number {
  const run = kind.run;
  if (!run) return 0;
  const minute = Math.floor(
    hashUnit(seed, agent, SALT.runStart) *
      (run.latestHour - run.earliestHour) *
      60,
  );
  const inDay = run.earliestHour * 3_600_000 + minute * 60_000;
  if (run.every === "night") return inDay;
  // Most weekly reports run on Monday; the rest on another weekday.
  const draw = hashUnit(seed, agent, SALT.runDay);
  const weekday = draw < 0.7 ? 0 : 1 + Math.floor((draw - 0.7) / 0.075);
  return Math.min(4, weekday) * DAY_MS + inDay;
}

/** How long an agent's run lasts on a given day (varies a little from run to run). */
export function runLengthMs(
  seed: number,
  kind: KindSpec,
  agent: number,
  dayIndex: number,
): number {
  const run = kind.run;
  if (!run) return 0;
  const typical =
    run.minMinutes +
    hashUnit(seed, agent, SALT.runLength) * (run.maxMinutes - run.minMinutes);
  const jitter = 0.85 + 0.3 * hashUnit(seed, agent, SALT.runLength, dayIndex);
  return Math.round(typical * jitter * 60_000);
}

export interface RunWindow {
  readonly agent: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** The scheduled runs of one kind that start in [fromMs, toMs), in start order. */
export function runsStartingIn(
  population: Population,
  kindIndex: number,
  fromMs: number,
  toMs: number,
): RunWindow[] {
  const kind = kindAt(kindIndex);
  const members = population.byKind[kindIndex];
  if (!kind.run || !members) return [];
  const period = kind.run.every === "night" ? DAY_MS : WEEK_MS;
  // Weeks start on Monday: the Unix epoch was a Thursday.
  const anchor = kind.run.every === "night" ? 0 : -3 * DAY_MS;
  const runs: RunWindow[] = [];
  for (
    let periodStart = Math.floor((fromMs - anchor) / period) * period + anchor;
    periodStart < toMs;
    periodStart += period
  ) {
    const low = lowerBound(members.runOffsetsMs, fromMs - periodStart);
    for (let at = low; at < members.runOffsetsMs.length; at += 1) {
      const startMs = periodStart + (members.runOffsetsMs[at] ?? 0);
      if (startMs >= toMs) break;
      const agent = members.runAgents[at] ?? 0;
      const dayIndex = Math.floor(startMs / DAY_MS);
      runs.push({
        agent,
        startMs,
        endMs: startMs + runLengthMs(population.seed, kind, agent, dayIndex),
      });
    }
  }
  return runs;
}

function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Everything about one agent, derived from the seed and its index. */
export function agentAt(population: Population, index: number): Agent {
  const { seed } = population;
  const kindIndex = population.kindOf[index] ?? 0;
  const kind = kindAt(kindIndex);
  const parent =
    kindIndex === KIND_INDEX.procurementSubagent
      ? parentOf(population, index)
      : undefined;
  const ownerIndex =
    parent === undefined
      ? hash32(seed, index, SALT.owner) %
        Math.max(1, Math.ceil(population.size / AGENTS_PER_OWNER))
      : ownerOf(population, parent);
  const tenant =
    TENANTS[hash32(seed, ownerIndex, SALT.tenant) % TENANTS.length] ??
    "default";
  return {
    index,
    kindIndex,
    kind,
    id: `agent:${kind.name}/${index}`,
    tenant,
    owner: ownerEmail(seed, ownerIndex, tenant),
    ownerIndex,
    gateway: `gw-${tenant}-${hash32(seed, index, SALT.gateway) % GATEWAYS_PER_TENANT}`,
    parent,
  };
}

function ownerOf(population: Population, index: number): number {
  return (
    hash32(population.seed, index, SALT.owner) %
    Math.max(1, Math.ceil(population.size / AGENTS_PER_OWNER))
  );
}

function parentOf(population: Population, index: number): number | undefined {
  const bots = population.byKind[KIND_INDEX.procurementBot]?.agents;
  if (!bots || bots.length === 0) return undefined;
  return bots[hash32(population.seed, index, SALT.parent) % bots.length];
}

function ownerEmail(seed: number, ownerIndex: number, tenant: string): string {
  const first =
    FIRST_NAMES[hash32(seed, ownerIndex, SALT.firstName) % FIRST_NAMES.length];
  const last =
    LAST_NAMES[hash32(seed, ownerIndex, SALT.lastName) % LAST_NAMES.length];
  return `${first}.${last}${ownerIndex}@${tenant}.example`;
}

/** One of the agent's own source addresses (a private range per tenant and gateway). */
export function agentIp(agent: Agent, seed: number, slot: number): string {
  const h = hash32(seed, agent.index, SALT.ip, slot % agent.kind.ipsPerAgent);
  const tenantByte = 16 + TENANTS.indexOf(agent.tenant) * 8;
  return `10.${tenantByte + ((h >>> 24) % 8)}.${(h >>> 8) & 255}.${1 + (h & 253)}`;
}

export interface CredentialAt {
  readonly id: string;
  readonly type: KindSpec["credential"]["type"];
  readonly issuer: string;
  readonly scopes: readonly string[];
  readonly expiresAtMs: number | undefined;
}

/**
 * The credential an agent holds at `timeMs`. Rotating types get a new id every period (each
 * agent at its own phase); long-lived keys change only at `manualRotations` (benign trap).
 */
export function credentialAt(
  agent: Agent,
  seed: number,
  timeMs: number,
  manualRotations = 0,
): CredentialAt {
  const spec = agent.kind.credential;
  let epoch = manualRotations;
  let expiresAtMs: number | undefined;
  if (spec.rotationMs !== undefined) {
    const phase = hash32(seed, agent.index, SALT.phase) % spec.rotationMs;
    epoch = Math.floor((timeMs + phase) / spec.rotationMs);
    expiresAtMs = (epoch + 1) * spec.rotationMs - phase;
  }
  return {
    id: `${spec.prefix}_${hashHex(seed, agent.index, SALT.credential, epoch)}${hashHex(seed, epoch, agent.index, SALT.credential).slice(0, 4)}`,
    type: spec.type,
    issuer: spec.issuer,
    scopes: spec.scopes,
    expiresAtMs,
  };
}

function hashNormal(seed: number, index: number, salt: number): number {
  const u = 1 - hashUnit(seed, index, salt, 1);
  const v = hashUnit(seed, index, salt, 2);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
