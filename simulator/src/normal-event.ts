import type { AuditEventV1 } from "@warden/shared";
import type { ActionSpec, ResourceType } from "./kinds.js";
import {
  agentAt,
  agentIp,
  credentialAt,
  type Agent,
  type Population,
} from "./population.js";
import {
  below,
  cumulativeOf,
  hash32,
  hashHex,
  hashUnit,
  logNormal,
  pareto,
  pick,
  sampleCumulative,
  unit,
  zipfCumulative,
  type Rng,
} from "./random.js";

/**
 * Turns one arrival (who, when, why) into an audit event v1. Attributes that belong to the
 * agent come from the population's pure functions; per-call details (which action, which
 * resource, outcome, bytes) are drawn from the run's event stream in emission order.
 */

export const SOURCE = {
  background: -1,
  run: -2,
  burst: -3,
} as const;

export interface EventContext {
  readonly population: Population;
  readonly rng: Rng;
  readonly manualRotationsMs: ReadonlyMap<number, readonly number[]>;
  /** Agents whose model calls grow in tokens over [from, to) (a longer job). */
  readonly llmGrowth: ReadonlyMap<number, readonly [number, number]>;
  readonly eventIdPrefix: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// Resource popularity within a team's vocabulary (Zipf exponent).
const ZIPF_EXPONENT = 1.1;
// Share of successful calls whose transfer is drawn from the Pareto tail.
const HEAVY_TAIL_SHARE = 0.02;

const actionTables = new Map<readonly ActionSpec[], Float64Array>();
const zipfTables = new Map<number, Float64Array>();

export function chooseAction(
  rng: Rng,
  actions: readonly ActionSpec[],
): ActionSpec {
  let table = actionTables.get(actions);
  if (!table) {
    table = cumulativeOf(actions.map((action) => action.weight));
    actionTables.set(actions, table);
  }
  const action = actions[sampleCumulative(rng, table)];
  if (!action) throw new RangeError("an agent kind without actions");
  return action;
}

/** A resource the agent's team works with: Zipf-popular, shifted per team so favourites differ. */
function teamResource(
  context: EventContext,
  agent: Agent,
  type: ResourceType,
): string {
  const size = type.vocabulary;
  let table = zipfTables.get(size);
  if (!table) {
    table = zipfCumulative(size, ZIPF_EXPONENT);
    zipfTables.set(size, table);
  }
  const rank = sampleCumulative(context.rng, table);
  const offset = hash32(context.population.seed, agent.ownerIndex, size) % size;
  return `${type.type}:${(rank + offset) % size}`;
}

export function baseEvent(
  context: EventContext,
  sequence: number,
  timeMs: number,
  agent: Agent,
  action: ActionSpec,
  options: {
    readonly credentialOf?: Agent;
    readonly ip?: string;
    readonly resourceId?: string;
    readonly resource?: ResourceType;
  } = {},
): AuditEventV1 {
  const { rng, population } = context;
  const seed = population.seed;
  const holder = options.credentialOf ?? agent;
  const credential = credentialAt(
    holder,
    seed,
    timeMs,
    rotationsBefore(context.manualRotationsMs.get(holder.index), timeMs),
  );
  const resource = options.resource ?? action.resource;
  const outcomeDraw = unit(rng);
  const outcome =
    outcomeDraw < 0.965 ? "success" : outcomeDraw < 0.985 ? "error" : "denied";
  const event: AuditEventV1 = {
    schema: "agent-audit/v1",
    event_id: `${context.eventIdPrefix}${sequence.toString(36).padStart(8, "0")}`,
    time: new Date(timeMs).toISOString(),
    tenant: agent.tenant,
    agent: {
      id: agent.id,
      kind: agent.kind.name,
      owner: agent.owner,
      instance: `${agent.kind.name}-${hashHex(seed, agent.index, Math.floor(timeMs / DAY_MS)).slice(0, 5)}`,
    },
    credential: {
      id: credential.id,
      type: credential.type,
      issuer: credential.issuer,
      scopes: [...credential.scopes],
      ...(credential.expiresAtMs === undefined
        ? {}
        : { expires_at: new Date(credential.expiresAtMs).toISOString() }),
    },
    action: { name: action.name, verb: action.verb, target: action.target },
    resource: {
      id: options.resourceId ?? teamResource(context, agent, resource),
      type: resource.type,
      sensitivity: resource.sensitivity,
    },
    outcome,
    status_code: statusCode(rng, outcome, action),
    bytes_out:
      outcome === "success"
        ? transferBytes(rng, action)
        : 120 + below(rng, 300),
    bytes_in:
      action.verb === "write"
        ? Math.round(logNormal(rng, Math.log(2_000), 1))
        : 200 + below(rng, 600),
    duration_ms: 0,
    source: {
      ip:
        options.ip ?? agentIp(agent, seed, below(rng, agent.kind.ipsPerAgent)),
      user_agent: agent.kind.userAgent,
      gateway: agent.gateway,
    },
    session_id: `ses-${hashHex(seed, agent.index, Math.floor(timeMs / HOUR_MS))}`,
    trace_id: traceId(rng),
  };
  if (action.tokens && outcome === "success")
    event.usage = modelUsage(
      context,
      sequence,
      agent,
      action.tokens,
      growthFactor(context.llmGrowth.get(agent.index), timeMs),
    );
  if (action.recordsMedian > 0 && outcome === "success")
    event.records = Math.max(
      1,
      Math.round(logNormal(rng, Math.log(action.recordsMedian), 0.8)),
    );
  // Latency grows with the payload: a fixed cost plus transfer at ~50 MB/s.
  event.duration_ms =
    Math.round(
      (logNormal(rng, Math.log(120), 0.7) +
        ((event.bytes_out ?? 0) / 50e6) * 1000) *
        10,
    ) / 10;
  if (agent.parent !== undefined) {
    const parent = agentAt(population, agent.parent);
    event.delegation = [parent.id, agent.id];
    event.on_behalf_of = parent.owner;
  } else if (agent.kind.actsFor === "customer") {
    event.on_behalf_of = `customer-${hashHex(seed, agent.index, below(rng, 5000))}@mail.example`;
  } else if (agent.kind.actsFor === "employee") {
    event.on_behalf_of = agent.owner;
  }
  return event;
}

/** USD per input and output token (a mid-priced hosted model). */
const USD_PER_INPUT_TOKEN = 3e-6;
const USD_PER_OUTPUT_TOKEN = 15e-6;
/** Spread of tokens per call around an agent's median (log-normal sigma). */
const TOKENS_SIGMA = 0.5;
/** A longer job's model calls end at this many times their usual tokens. */
const LLM_GROWTH_FINAL_FACTOR = 3;

/** 1 outside a longer job; within it, rising linearly to LLM_GROWTH_FINAL_FACTOR. */
function growthFactor(
  window: readonly [number, number] | undefined,
  timeMs: number,
): number {
  if (!window || timeMs < window[0] || timeMs >= window[1]) return 1;
  const progress = (timeMs - window[0]) / (window[1] - window[0]);
  return 1 + (LLM_GROWTH_FINAL_FACTOR - 1) * progress;
}

/**
 * A model call's usage: log-normal around the action's medians, scaled per agent (0.5–2×, its
 * prompts' size) and by `factor`. Drawn from hashes of the call, not the event stream, so adding
 * usage shifted none of the run's other draws.
 */
export function modelUsage(
  context: EventContext,
  sequence: number,
  agent: Agent,
  tokens: { readonly input: number; readonly output: number },
  factor: number,
): NonNullable<AuditEventV1["usage"]> {
  const seed = context.population.seed;
  const scale = 0.5 + 1.5 * hashUnit(seed, agent.index, 0x70c);
  const u1 = Math.max(1e-12, hashUnit(seed, sequence, 0x70c, 1));
  const u2 = hashUnit(seed, sequence, 0x70c, 2);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  const size = scale * factor * Math.exp(TOKENS_SIGMA * z);
  const input = Math.max(1, Math.round(tokens.input * size));
  const output = Math.max(1, Math.round(tokens.output * size));
  return {
    input_tokens: input,
    output_tokens: output,
    cost_usd:
      Math.round(
        (input * USD_PER_INPUT_TOKEN + output * USD_PER_OUTPUT_TOKEN) * 1e6,
      ) / 1e6,
  };
}

function rotationsBefore(
  times: readonly number[] | undefined,
  timeMs: number,
): number {
  if (!times) return 0;
  let count = 0;
  for (const at of times) if (at <= timeMs) count += 1;
  return count;
}

function statusCode(
  rng: Rng,
  outcome: AuditEventV1["outcome"],
  action: ActionSpec,
): number {
  if (outcome === "denied") return 403;
  if (outcome === "error") return pick(rng, [429, 500, 502, 503, 504]);
  return action.verb === "write" ? 201 : 200;
}

export function transferBytes(rng: Rng, action: ActionSpec): number {
  const body = logNormal(rng, Math.log(action.bytesMedian), action.bytesSigma);
  const tail = unit(rng) < HEAVY_TAIL_SHARE ? pareto(rng, 1, 1.2) : 1;
  return Math.round(Math.min(body * tail, 5e10));
}

function traceId(rng: Rng): string {
  let id = "";
  for (let part = 0; part < 4; part += 1)
    id += (rng.next() >>> 0).toString(16).padStart(8, "0");
  return id;
}
