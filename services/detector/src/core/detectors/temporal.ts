import { MINUTES_PER_HOUR } from "../agent-state.js";
import { sumRing } from "../ring.js";
import { ALL_HOURS_OF_DAY } from "@warden/shared";
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
 * The chance that the agent is active at all in hour `hour` of the day, from its own history:
 * its periodic profile when it has one, else the hours of the day it was ever active. Undefined
 * when the hour (or one beside it) is not quiet.
 */
function quietHourChance(
  profile: readonly number[] | null,
  activeHours: number,
  hour: number,
  days: number,
): number | undefined {
  const laplace = 1 / (days + 2);
  if (profile) {
    let busiest = 0;
    for (let h = 0; h < 24; h++)
      busiest = Math.max(busiest, hourOfDayMean(profile, h));
    let around = 0;
    for (let step = -OFF_HOURS_NEIGHBOURS; step <= OFF_HOURS_NEIGHBOURS; step++)
      around = Math.max(
        around,
        hourOfDayMean(profile, (hour + 24 + step) % 24),
      );
    if (busiest === 0 || around >= OFF_HOURS_QUIET_SHARE * busiest)
      return undefined;
    return Math.max(laplace, hourOfDayMean(profile, hour) / busiest);
  }
  for (let step = -1; step <= 1; step++)
    if (activeHours & (1 << ((hour + 24 + step) % 24))) return undefined;
  return laplace;
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
  // Active in every hour of the day and not periodic: no hour is quiet.
  if (
    days < OFF_HOURS_MIN_DAYS ||
    (!model.hourOfWeek && model.activeHoursOfDay === ALL_HOURS_OF_DAY)
  )
    return undefined;
  const slot = hourOfWeek(event.time_ms);
  const chance = quietHourChance(
    model.hourOfWeek,
    model.activeHoursOfDay,
    slot % 24,
    days,
  );
  if (chance === undefined) return undefined;
  let minutes = 0;
  for (let i = 0; i < MINUTES_PER_HOUR; i++)
    if (
      sumRing(state.cells, layout.callsPerMinute, state.minuteHead - i, 1) > 0
    )
      minutes++;
  const perActiveHour =
    model.history.activeMinutes / Math.max(1, model.history.activeHours);
  const expected = Math.max(0.5, perActiveHour * chance);
  const bits = poissonBits(minutes, expected);
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
    summary: `${formatCount(calls)} calls in ${formatCount(minutes)} minutes of the last hour at ${slotName(slot)}, a quiet hour of the day for this agent; its history expects about ${formatCount(expected)} active minutes then`,
    observed: minutes,
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
  if (!baseline || state.driftHours < DRIFT_MIN_HOURS) return undefined;
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
