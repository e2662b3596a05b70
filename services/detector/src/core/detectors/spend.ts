import type { CanonicalEvent, RobustStats } from "@warden/shared";
import { poissonBits, tailBits } from "../evidence.js";
import { formatCount, type Detector } from "./types.js";

/**
 * LLM spend (issue 15 item 7): a model user's tokens per call and per active hour against its
 * own history, or its peer group's while its own is short. The history is learnt here, from the
 * `usage` the events carry (the baseline service does not store it), as log-normal estimates
 * whose memory is a half-life of event time, not a number of calls: a hijacked or looping agent
 * that burns in twenty minutes what it usually burns in a week teaches the estimate almost
 * nothing while it is judged, and a job that grows over a day or two is followed.
 */

const HOUR_MS = 3_600_000;
/** Half-life of the per-call (minutes) and per-hour (hours) estimates, in event time. */
const CALL_HALF_LIFE_MINUTES = 6 * 60;
const HOUR_HALF_LIFE_HOURS = 24;
/** No sample weighs more than this in an estimate (a long gap must not erase the history). */
const MAX_WEIGHT = 0.25;
/** Calls and active hours before an estimate speaks (its first samples are plain means). */
const MIN_CALLS = 30;
const MIN_HOURS = 6;
/** Spread below which a log-normal estimate is not trusted (prompts always vary this much). */
const MIN_LOG_SD = 0.25;
/** z of the 95th and 99th percentiles of a normal distribution. */
const Z95 = 1.645;
const Z99 = 2.326;
/** Samples further than this many spreads from the mean update it as if at this distance. */
const CLAMP_SD = 4;
/** Oversized calls (beyond the per-call p99) always expected in an hour. */
const MIN_EXCESS_EXPECTED = 1;
/** Tokens in an hour never called a spike. */
const MIN_HOUR_AMOUNT = 2_000;
/**
 * Spend alone says "look", not "revoke": a bill is not a breach. Its evidence stops here (about
 * one healthy agent-hour in a million), where more bits would say nothing new; with other
 * evidence in the incident it can still climb the ladder.
 */
export const SPEND_MAX_BITS = 20;

/** Slots of the spend memory (one Float32Array per agent and per peer group). */
const Slot = {
  /** The agent's open hour (hours since the epoch); a peer group's last hour learnt. */
  OpenHour: 0,
  HourAmount: 1,
  HourCalls: 2,
  HourExcess: 3,
  Calls: 4,
  CallMean: 5,
  CallVar: 6,
  /** Minutes since the epoch of the last call learnt (float32: to within 2 min, enough). */
  CallAtMin: 7,
  Hours: 8,
  HourMean: 9,
  HourVar: 10,
  HourMax: 11,
} as const;
type Slot = (typeof Slot)[keyof typeof Slot];
const SLOTS = 12;

/** What the detector remembers of an agent's (or a peer group's) spend: 48 bytes of numbers. */
export type SpendMemory = Float32Array;

export function createSpendMemory(): SpendMemory {
  const memory = new Float32Array(SLOTS);
  memory[Slot.OpenHour] = -1;
  return memory;
}

/** The amount a call spent: its tokens, or its cost in micro-dollars when it reports only that. */
export function spentBy(usage: CanonicalEvent["usage"]): number {
  if (!usage) return 0;
  const tokens = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
  if (tokens > 0) return tokens;
  return Math.round((usage.cost_usd ?? 0) * 1e6);
}

/**
 * Folds log-amount `x` into the estimate at slots (count, mean, var), `elapsed` after its
 * previous sample (in the unit of `halfLife`).
 */
function learn(
  memory: SpendMemory,
  x: number,
  elapsed: number,
  slots: readonly [Slot, Slot, Slot],
  halfLife: number,
  warmUp: number,
): void {
  const [countSlot, meanSlot, varSlot] = slots;
  const n = memory[countSlot] ?? 0;
  const mean = memory[meanSlot] ?? 0;
  const variance = memory[varSlot] ?? 0;
  const weight =
    n < warmUp
      ? 1 / (n + 1)
      : Math.min(MAX_WEIGHT, 1 - Math.pow(2, -Math.max(0, elapsed) / halfLife));
  const sd = Math.max(MIN_LOG_SD, Math.sqrt(variance));
  // Past warm-up an outlier moves the estimate only as far as a sample CLAMP_SD spreads out.
  const d =
    n < warmUp
      ? x - mean
      : Math.max(-CLAMP_SD * sd, Math.min(CLAMP_SD * sd, x - mean));
  memory[meanSlot] = mean + weight * d;
  memory[varSlot] = n === 0 ? 0 : (1 - weight) * (variance + weight * d * d);
  memory[countSlot] = n + 1;
}

const CALL_SLOTS = [Slot.Calls, Slot.CallMean, Slot.CallVar] as const;
const HOUR_SLOTS = [Slot.Hours, Slot.HourMean, Slot.HourVar] as const;

/** The log-normal estimate at (mean, var) as robust statistics, with the observed maximum. */
function statsOf(mean: number, variance: number, max: number): RobustStats {
  const sd = Math.max(MIN_LOG_SD, Math.sqrt(variance));
  const p99 = Math.exp(mean + Z99 * sd);
  return {
    median: Math.exp(mean),
    mad: 0,
    p95: Math.exp(mean + Z95 * sd),
    p99,
    max: Math.max(max, p99),
  };
}

/**
 * Folds the open hour into the hourly estimate when `hour` is a later one; returns the amount
 * of the hour it closed (0 when none).
 */
function closeHour(memory: SpendMemory, hour: number): number {
  const open = memory[Slot.OpenHour] ?? -1;
  if (hour <= open) return 0;
  const amount = open >= 0 ? (memory[Slot.HourAmount] ?? 0) : 0;
  if (amount > 0) learnHour(memory, amount, hour);
  memory[Slot.OpenHour] = hour;
  memory[Slot.HourAmount] = 0;
  memory[Slot.HourCalls] = 0;
  memory[Slot.HourExcess] = 0;
  return amount;
}

/** Learns an hour's `amount`, closed at `hour`, and records the hour (a peer group's last). */
function learnHour(memory: SpendMemory, amount: number, hour: number): void {
  const last = memory[Slot.OpenHour] ?? -1;
  learn(
    memory,
    Math.log(amount),
    last >= 0 ? hour - last : 0,
    HOUR_SLOTS,
    HOUR_HALF_LIFE_HOURS,
    MIN_HOURS,
  );
  memory[Slot.HourMax] = Math.max(memory[Slot.HourMax] ?? 0, amount);
  memory[Slot.OpenHour] = Math.max(last, hour);
}

/** Learns one call's log-amount at `minute`. */
function learnCall(memory: SpendMemory, x: number, minute: number): void {
  learn(
    memory,
    x,
    minute - (memory[Slot.CallAtMin] ?? minute),
    CALL_SLOTS,
    CALL_HALF_LIFE_MINUTES,
    MIN_CALLS,
  );
  memory[Slot.CallAtMin] = minute;
}

/** The history a call is judged against: the agent's own once it is long enough, else its peers'. */
function judgeWith(own: SpendMemory, peer: SpendMemory | undefined) {
  const ready = (m: SpendMemory): boolean =>
    (m[Slot.Calls] ?? 0) >= MIN_CALLS && (m[Slot.Hours] ?? 0) >= MIN_HOURS;
  if (ready(own)) return { memory: own, whose: "agent's" };
  if (peer && ready(peer)) return { memory: peer, whose: "peer group's" };
  return undefined;
}

export interface SpendVerdict {
  readonly bits: number;
  readonly summary: string;
  readonly observed: number;
  readonly expected: number;
}

/**
 * Records one call's spend in the agent's memory (and its closed hours and calls in its peer
 * group's) and judges it: calls beyond the history's per-call p99 this hour against the 1 % of
 * calls expected there (Poisson surprise: one oversized prompt is nothing, a run of them is a
 * loop), and the hour's spend so far against the history's active hours (tail surprise).
 * The call is judged before it is learnt.
 */
export function observeSpend(
  own: SpendMemory,
  peer: SpendMemory | undefined,
  amount: number,
  timeMs: number,
): SpendVerdict | undefined {
  const hour = Math.floor(timeMs / HOUR_MS);
  const minute = Math.floor(timeMs / 60_000);
  // A late call of an hour already folded counts in the open one: estimates only move forward.
  const closed = closeHour(own, hour);
  // The peer group learns its agents' calls as they come and their hours as each closes one.
  if (peer && closed > 0) learnHour(peer, closed, hour);
  const judge = judgeWith(own, peer);
  const x = Math.log(Math.max(1, amount));
  let excessBit = 0;
  if (judge) {
    const m = judge.memory;
    const sd = Math.max(MIN_LOG_SD, Math.sqrt(m[Slot.CallVar] ?? 0));
    if (x > (m[Slot.CallMean] ?? 0) + Z99 * sd) excessBit = 1;
  }
  own[Slot.HourAmount] = (own[Slot.HourAmount] ?? 0) + amount;
  own[Slot.HourCalls] = (own[Slot.HourCalls] ?? 0) + 1;
  own[Slot.HourExcess] = (own[Slot.HourExcess] ?? 0) + excessBit;
  learnCall(own, x, minute);
  if (peer) learnCall(peer, x, minute);
  if (!judge) return undefined;
  return verdict(own, judge.memory, judge.whose);
}

function verdict(
  own: SpendMemory,
  history: SpendMemory,
  whose: string,
): SpendVerdict | undefined {
  const calls = own[Slot.HourCalls] ?? 0;
  const excess = own[Slot.HourExcess] ?? 0;
  const expected = Math.max(MIN_EXCESS_EXPECTED, 0.01 * calls);
  const excessBits = poissonBits(excess, expected);
  const perCall = statsOf(
    history[Slot.CallMean] ?? 0,
    history[Slot.CallVar] ?? 0,
    0,
  );
  const amount = own[Slot.HourAmount] ?? 0;
  const hourly = statsOf(
    history[Slot.HourMean] ?? 0,
    history[Slot.HourVar] ?? 0,
    history[Slot.HourMax] ?? 0,
  );
  const hourBits = tailBits(
    amount,
    hourly,
    history[Slot.Hours] ?? 0,
    MIN_HOUR_AMOUNT,
  );
  const bits = Math.min(SPEND_MAX_BITS, Math.max(excessBits, hourBits));
  if (!(bits >= 1)) return undefined;
  if (excessBits >= hourBits)
    return {
      bits,
      summary: `${formatCount(excess)} of ${formatCount(calls)} model calls this hour spent over ${formatCount(Math.round(perCall.p99))} tokens each, the ${whose} p99 per call (median ${formatCount(Math.round(perCall.median))}); ${formatCount(expected)} expected; ${formatCount(Math.round(amount))} tokens this hour`,
      observed: excess,
      expected: Math.round(expected * 10) / 10,
    };
  return {
    bits,
    summary: `${formatCount(Math.round(amount))} tokens in ${formatCount(calls)} model calls this hour; the ${whose} usual hour is ${formatCount(Math.round(hourly.median))} (p99 ${formatCount(Math.round(hourly.p99))})`,
    observed: Math.round(amount),
    expected: Math.round(hourly.p99),
  };
}

/** The detector: events without `usage` cost nothing. */
export const llmSpendDetector: Detector = (input) => {
  const usage = input.event.usage;
  if (!usage || !input.spend) return undefined;
  const amount = spentBy(usage);
  if (!(amount > 0)) return undefined;
  const result = observeSpend(
    input.spend("agent"),
    input.spend("peer"),
    amount,
    input.event.time_ms,
  );
  return result ? { detector: "llm_spend", ...result } : undefined;
};
