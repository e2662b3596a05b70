import { MINUTES_PER_HOUR } from "../agent-state.js";
import { sumRing } from "../ring.js";
import { ALL_HOURS_OF_DAY, type BaselineModel } from "@warden/shared";
import { poissonBits, tailBits } from "../evidence.js";
import { formatBytes, formatCount, type Detector } from "./types.js";

const HOUR_MS = 3_600_000;
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** Hour of the week of `timeMs`, 0 = Monday 00:00 UTC (the baseline's hourOfWeek index). */
export function hourOfWeek(timeMs: number): number {
  const hour = Math.floor(timeMs / HOUR_MS);
  // Day 0 of the epoch was a Thursday.
  return ((Math.floor(hour / 24) + 3) % 7) * 24 + (hour % 24);
}

function slotName(index: number): string {
  const hour = String(index % 24).padStart(2, "0");
  return `${DAYS[Math.floor(index / 24)] ?? "?"} ${hour}:00 UTC`;
}

/** An hour of the day is quiet when its mean is below this share of the busiest hour's… */
const OFF_HOURS_QUIET_SHARE = 0.05;
/** …and so are the hours this far either side (a scheduled job's start jitters). */
const OFF_HOURS_NEIGHBOURS = 2;
/** Days of history before an hour never active says anything. */
const OFF_HOURS_MIN_DAYS = 3;
const DAY_MS = 24 * HOUR_MS;
const BLOCK_MINUTES = 5;
/** Active blocks always expected in an hour (one stray call is not an incident). */
const MIN_EXPECTED_BLOCKS = 0.25;

/**
 * Mean calls in hour `hourOfDay` over the week's seven days of an hour-of-week profile. The
 * hour of the day, not of the week, decides what is quiet: with a week or two of history each
 * hour of the week has been seen once or twice, and a nightly job that starts at a different
 * hour each night would make every night slot look quiet on some day.
 */
function hourOfDayMean(profile: readonly number[], hourOfDay: number): number {
  let sum = 0;
  for (let day = 0; day < 7; day++) sum += profile[day * 24 + hourOfDay] ?? 0;
  return sum / 7;
}

/**
 * Active five-minute blocks the agent's own history expects in hour `hour` of the day, when that
 * hour (and those beside it) is quiet; undefined when it is not. With a periodic profile: the
 * hour's mean calls (each call fills at most one block), quiet when the hours around it stay
 * under 5 % of the upper quartile of its hours (not of its busiest hour, which one runaway
 * loop in the window would make dwarf every other). Without one: the hours of the day it was
 * never active, where a typical active hour's blocks are expected with the Laplace chance
 * 1/(days + 2) of the hour turning active.
 */
const upperQuartiles = new WeakMap<BaselineModel, number>();

/** The upper quartile of the profile's 24 hour-of-day means, memoised per model. */
function upperQuartileHour(
  model: BaselineModel,
  profile: readonly number[],
): number {
  let value = upperQuartiles.get(model);
  if (value === undefined) {
    const means = Array.from({ length: 24 }, (_, h) =>
      hourOfDayMean(profile, h),
    ).sort((a, b) => a - b);
    value = means[Math.floor(0.75 * 24)] ?? 0;
    upperQuartiles.set(model, value);
  }
  return value;
}

function quietHourBlocks(
  model: BaselineModel,
  hour: number,
  days: number,
): number | undefined {
  const history = model.history;
  const blocksPerActiveHour = Math.min(
    MINUTES_PER_HOUR / BLOCK_MINUTES,
    history.activeMinutes / Math.max(1, history.activeHours),
  );
  const unseen = blocksPerActiveHour / (days + 2);
  const profile = model.hourOfWeek;
  if (profile) {
    const reference = upperQuartileHour(model, profile);
    let around = 0;
    for (let step = -OFF_HOURS_NEIGHBOURS; step <= OFF_HOURS_NEIGHBOURS; step++)
      around = Math.max(
        around,
        hourOfDayMean(profile, (hour + 24 + step) % 24),
      );
    if (reference === 0 || around >= OFF_HOURS_QUIET_SHARE * reference)
      return undefined;
    return Math.max(
      unseen,
      Math.min(MINUTES_PER_HOUR / BLOCK_MINUTES, hourOfDayMean(profile, hour)),
    );
  }
  if (model.activeHoursOfDay === ALL_HOURS_OF_DAY) return undefined;
  for (let step = -1; step <= 1; step++)
    if (model.activeHoursOfDay & (1 << ((hour + 24 + step) % 24)))
      return undefined;
  return unseen;
}

/**
 * Activity in an hour of the day the agent's own history says is quiet: minutes with calls in
 * the last hour against those expected (the history's active minutes per active hour times the
 * chance of the hour being active at all), as Poisson surprise. Minutes, not calls: calls come
 * in clusters, minutes with calls much less so. Only the agent's own baseline: a peer group's
 * rhythm is not this agent's.
 */
export const offHoursDetector: Detector = (input) => {
  const { baseline, event, state, layout } = input;
  if (!baseline || baseline.level !== "agent") return undefined;
  const model = baseline.model;
  const days = (model.windowEndMs - model.windowStartMs) / DAY_MS;
  if (days < OFF_HOURS_MIN_DAYS) return undefined;
  const slot = hourOfWeek(event.time_ms);
  const quiet = quietHourBlocks(model, slot % 24, days);
  if (quiet === undefined) return undefined;
  // Five-minute blocks with calls, not calls or minutes: calls come in clusters, and so do the
  // minutes of one job; blocks of an hour are close to independent.
  let blocks = 0;
  let minutes = 0;
  for (let block = 0; block < MINUTES_PER_HOUR / BLOCK_MINUTES; block++) {
    let active = false;
    for (let i = 0; i < BLOCK_MINUTES; i++) {
      const head = state.minuteHead - block * BLOCK_MINUTES - i;
      if (sumRing(state.cells, layout.callsPerMinute, head, 1) > 0) {
        active = true;
        minutes++;
      }
    }
    if (active) blocks++;
  }
  const expected = Math.max(MIN_EXPECTED_BLOCKS, quiet);
  const bits = poissonBits(blocks, expected);
  if (bits < 1) return undefined;
  const calls = sumRing(
    state.cells,
    layout.callsPerMinute,
    state.minuteHead,
    MINUTES_PER_HOUR,
  );
  return {
    detector: "off_hours",
    bits,
    summary: `${formatCount(calls)} calls in ${formatCount(minutes)} minutes (${formatCount(blocks)} five-minute blocks) of the last hour at ${slotName(slot)}, a quiet hour of the day for this agent; its history expects about ${formatCount(expected)} active blocks then`,
    observed: blocks,
    expected: Math.round(expected * 10) / 10,
  };
};

/** Hourly volume never considered a drift (a few hundred KiB an hour is noise). */
const DRIFT_MIN_EXPECTED_BYTES = 256 * 1024;
/** Hours folded into the averages before they say anything (they start at the first hour). */
const DRIFT_MIN_HOURS = 6;
/**
 * An average over ~6 hours beyond the per-hour tail is rarer than one hour there: the
 * averages' surprise counts this many times the single hour's.
 */
const DRIFT_HOURS_FACTOR = 2;

/**
 * Slow drift: bytes out per active hour, smoothed over ~6 h and ~24 h, the lower of the two
 * judged against the baseline's distribution of bytes per active hour — a sustained rise that
 * no single hour makes suspicious (slow exfiltration), while a one-hour spike moves the long
 * average too little to count.
 */
export const slowDriftDetector: Detector = (input) => {
  const { baseline, state } = input;
  // A drift is from the agent's own past: a peer group's heavy hour is another agent's.
  if (
    !baseline ||
    baseline.level !== "agent" ||
    state.driftHours < DRIFT_MIN_HOURS
  )
    return undefined;
  const hourly = baseline.model.bytesPerHour;
  const sustained = Math.min(state.driftShort, state.driftLong);
  // Sustained above the heavy hour: below it, the averages are within normal hours.
  if (!(sustained > Math.max(hourly.p99, DRIFT_MIN_EXPECTED_BYTES)))
    return undefined;
  const bits =
    DRIFT_HOURS_FACTOR *
    tailBits(
      sustained,
      hourly,
      baseline.model.history.activeHours,
      DRIFT_MIN_EXPECTED_BYTES,
    );
  if (bits < 1) return undefined;
  return {
    detector: "slow_drift",
    bits,
    summary: `${formatBytes(state.driftShort)} out per active hour over ~6 h and ${formatBytes(state.driftLong)} over ~24 h; the ${baseline.level} baseline's heavy hour (p99) is ${formatBytes(hourly.p99)}`,
    observed: Math.round(sustained),
    expected: hourly.p99,
  };
};
