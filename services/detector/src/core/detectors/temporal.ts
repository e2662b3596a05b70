import { MINUTES_PER_HOUR } from "../agent-state.js";
import { sumRing } from "../ring.js";
import { clamp01, formatBytes, formatCount, type Detector } from "./types.js";

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
/** Calls per hour always allowed in a quiet hour, and the multiple of its mean allowed. */
const OFF_HOURS_MIN_CALLS = 5;
const OFF_HOURS_MEAN_FACTOR = 3;
/** Calls beyond the allowance at which the score reaches 1. */
const OFF_HOURS_FULL_EXCESS = 30;

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
 * Activity in an hour of the day the agent's own periodic profile says is quiet. Only agents
 * whose baseline has an hour-of-week profile (the baseline service publishes one only for
 * periodic activity) and only their own baseline: a peer group's rhythm is not this agent's.
 */
export const offHoursDetector: Detector = (input) => {
  const { baseline, event, state, layout } = input;
  const profile = baseline?.model.hourOfWeek;
  if (!baseline || baseline.level !== "agent" || !profile) return undefined;
  const slot = hourOfWeek(event.time_ms);
  const mean = hourOfDayMean(profile, slot % 24);
  let busiest = 0;
  for (let hour = 0; hour < 24; hour++)
    busiest = Math.max(busiest, hourOfDayMean(profile, hour));
  let around = 0;
  for (let step = -OFF_HOURS_NEIGHBOURS; step <= OFF_HOURS_NEIGHBOURS; step++)
    around = Math.max(around, hourOfDayMean(profile, (slot + 24 + step) % 24));
  if (busiest === 0 || around >= OFF_HOURS_QUIET_SHARE * busiest)
    return undefined;
  const calls = sumRing(
    state.cells,
    layout.callsPerMinute,
    state.minuteHead,
    MINUTES_PER_HOUR,
  );
  const allowed = Math.max(OFF_HOURS_MIN_CALLS, OFF_HOURS_MEAN_FACTOR * mean);
  const score = clamp01((calls - allowed) / OFF_HOURS_FULL_EXCESS);
  if (score === 0) return undefined;
  return {
    detector: "off_hours",
    score,
    summary: `${formatCount(calls)} calls in the last hour at ${slotName(slot)}, a quiet hour of the day for this agent; its profile expects ${formatCount(mean)} (busiest hour ${formatCount(busiest)})`,
    observed: calls,
    expected: Math.round(mean * 10) / 10,
  };
};

/** Both averages must exceed this multiple of the baseline's usual heavy hour to count… */
const DRIFT_RATIO_START = 2;
/** …and the score is 1 at this multiple. */
const DRIFT_RATIO_FULL = 6;
/** Hourly volume never considered a drift (a few hundred KiB an hour is noise). */
const DRIFT_MIN_EXPECTED_BYTES = 256 * 1024;
/** Hours folded into the averages before they say anything (they start at the first hour). */
const DRIFT_MIN_HOURS = 6;

/**
 * Slow drift: bytes out per active hour, smoothed over ~6 h and ~24 h, both well above the
 * baseline's p99 hour — a sustained rise that no single hour makes suspicious (slow
 * exfiltration), while a one-hour spike moves the long average too little to count.
 */
export const slowDriftDetector: Detector = (input) => {
  const { baseline, state } = input;
  if (!baseline || state.driftHours < DRIFT_MIN_HOURS) return undefined;
  const hourly = baseline.model.bytesPerHour;
  // p99, not p95: agents whose volume comes in a few heavy hours (nightly copies) have them
  // in fewer than 5 % of their active hours.
  const expected = Math.max(
    hourly.p99,
    3 * hourly.median,
    DRIFT_MIN_EXPECTED_BYTES,
  );
  const ratio = Math.min(state.driftShort, state.driftLong) / expected;
  const score = clamp01(
    (ratio - DRIFT_RATIO_START) / (DRIFT_RATIO_FULL - DRIFT_RATIO_START),
  );
  if (score === 0) return undefined;
  return {
    detector: "slow_drift",
    score,
    summary: `${formatBytes(state.driftShort)} out per active hour over ~6 h and ${formatBytes(state.driftLong)} over ~24 h; the ${baseline.level} baseline's usual heavy hour (p99) is ${formatBytes(expected)}`,
    observed: Math.round(state.driftLong),
    expected,
  };
};
