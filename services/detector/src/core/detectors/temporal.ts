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

/** Hours either side whose activity an hour inherits (a scheduled job's start jitters). */
const OFF_HOURS_NEIGHBOURS = 2;
/** Days of the agent's own history before its rhythm says anything. */
const OFF_HOURS_MIN_DAYS = 2;
/** The same with a peer group's rhythm as its prior (expectedBlocks). */
const OFF_HOURS_MIN_DAYS_WITH_PEERS = 1;
const DAY_MS = 24 * HOUR_MS;
const BLOCK_MINUTES = 5;
const BLOCKS_PER_HOUR = MINUTES_PER_HOUR / BLOCK_MINUTES;
/** Active blocks always expected in an hour (one stray call is not an incident). */
const MIN_EXPECTED_BLOCKS = 0.25;

/**
 * Calls per day the history holds in hour `hourOfDay`: the hour-of-week profile's seven slots of
 * that hour over the days of history, leaving out the slot of day `skipDay` (−1: none). The hour
 * of the day, not of the week: with a week or two of history each hour of the week has been
 * seen once or twice. Each slot is a mean per week in which it occurred, so the seven of them
 * cover at most seven days, however long the history.
 */
function callsPerDayAt(
  profile: readonly number[],
  hourOfDay: number,
  days: number,
  skipDay: number,
): number {
  let sum = 0;
  for (let day = 0; day < 7; day++)
    if (day !== skipDay) sum += profile[day * 24 + hourOfDay] ?? 0;
  return sum / Math.min(days, 7);
}

/**
 * Calls per day a profile holds around the hour of week `slot`: the busiest of the hours of the
 * day within OFF_HOURS_NEIGHBOURS of it. Today's slots of this hour and the hours before it are
 * left out: the baseline is rebuilt every few minutes, so they hold the very activity being
 * judged, and an off-hours burst would otherwise teach its own hour to be busy.
 */
function callsAround(
  profile: readonly number[],
  slot: number,
  days: number,
): number {
  let around = 0;
  for (let step = -OFF_HOURS_NEIGHBOURS; step <= OFF_HOURS_NEIGHBOURS; step++) {
    const neighbour = (slot + 168 + step) % 168;
    const skipDay = step <= 0 ? Math.floor(neighbour / 24) : -1;
    around = Math.max(
      around,
      callsPerDayAt(profile, neighbour % 24, days, skipDay),
    );
  }
  return around;
}

/** Days of history a peer group's rhythm counts for in a young agent's prior. */
export const PEER_PRIOR_DAYS = 2;

/**
 * Active five-minute blocks the agent's history expects in the hour of week `slot`: calls per
 * day around it (each call fills at most one block). Learnt from the agent's own rhythm, not a
 * gate on "quiet" hours: a business-hours bot whose night holds a stray call or two still
 * expects about one block at 03:00, and a nightly job expects its run.
 *
 * A young agent's few days cannot say how seldom an hour is active, so its prior comes from its
 * peer group (the tenant's agents of its kind, per agent): the expectation is the blend
 * (days · own + PEER_PRIOR_DAYS · peer) / (days + PEER_PRIOR_DAYS), the peer group's rhythm
 * counting as PEER_PRIOR_DAYS days of history. Without a periodic peer rhythm, the prior is the
 * Laplace chance 1/(days + 2) that an hour seldom active turns active, times a typical active
 * hour's blocks.
 */
export function expectedBlocks(
  model: BaselineModel,
  slot: number,
  days: number,
  peer?: BaselineModel,
): number {
  const history = model.history;
  const hour = slot % 24;
  const blocksPerActiveHour = Math.min(
    BLOCKS_PER_HOUR,
    history.activeMinutes / Math.max(1, history.activeHours),
  );
  const unseen = blocksPerActiveHour / (days + 2);
  const profile = model.hourOfWeek;
  if (!profile) {
    if (model.activeHoursOfDay === ALL_HOURS_OF_DAY) return BLOCKS_PER_HOUR;
    for (let step = -1; step <= 1; step++)
      if (model.activeHoursOfDay & (1 << ((hour + 24 + step) % 24)))
        return BLOCKS_PER_HOUR;
    return unseen;
  }
  const own = Math.min(BLOCKS_PER_HOUR, callsAround(profile, slot, days));
  const peerProfile = peer?.hourOfWeek;
  if (!peer || !peerProfile) return Math.max(unseen, own);
  const theirs = Math.min(
    BLOCKS_PER_HOUR,
    callsAround(peerProfile, slot, historySpanDays(peer)),
  );
  return (days * own + PEER_PRIOR_DAYS * theirs) / (days + PEER_PRIOR_DAYS);
}

function historySpanDays(model: BaselineModel): number {
  return Math.max(
    1,
    (model.history.lastSeenMs - model.history.firstSeenMs) / DAY_MS,
  );
}

/** Days of own history from which the peer group's rhythm no longer counts. */
const PEER_PRIOR_UNTIL_DAYS = 7;

/** The agent's trusted, periodic peer group, while its own history is young. */
function peerRhythm(
  input: Parameters<Detector>[0],
  days: number,
): BaselineModel | undefined {
  if (days >= PEER_PRIOR_UNTIL_DAYS) return undefined;
  const peer = input.baselines.get(input.state.baselineKeys.peer);
  return peer?.trusted && peer.hourOfWeek && peer.history.agents > 1
    ? peer
    : undefined;
}

/**
 * Activity at an hour of the day the agent's history seldom works: five-minute blocks with
 * calls in the last hour against those its rhythm expects then (expectedBlocks), as Poisson
 * surprise. Blocks, not calls: calls come in clusters, blocks of an hour much less so. Judged
 * on the agent's own baseline; its peer group's rhythm only sets a young agent's prior.
 */
export const offHoursDetector: Detector = (input) => {
  const { baseline, event, state, layout } = input;
  if (!baseline || baseline.level !== "agent") return undefined;
  const model = baseline.model;
  // The history's own span, not the window's: a 14-day window over 3 days of calls is 3 days.
  const days = (model.history.lastSeenMs - model.history.firstSeenMs) / DAY_MS;
  const peer = peerRhythm(input, days);
  if (days < (peer ? OFF_HOURS_MIN_DAYS_WITH_PEERS : OFF_HOURS_MIN_DAYS))
    return undefined;
  const slot = hourOfWeek(event.time_ms);
  const quiet = expectedBlocks(model, slot, days, peer);
  // An hour whose every block may be active: nothing could be surprising in it.
  if (quiet >= BLOCKS_PER_HOUR) return undefined;
  // Five-minute blocks with calls, not calls or minutes: calls come in clusters, and so do the
  // minutes of one job; blocks of an hour are close to independent.
  let blocks = 0;
  let minutes = 0;
  for (let block = 0; block < BLOCKS_PER_HOUR; block++) {
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
    summary: `${formatCount(calls)} calls in ${formatCount(minutes)} minutes (${formatCount(blocks)} five-minute blocks) of the last hour at ${slotName(slot)}, an hour of the day this agent seldom works; its history${peer ? ` (${formatCount(Math.round(days * 10) / 10)} days, its peer group's rhythm as prior)` : ""} expects about ${formatCount(expected)} active blocks then`,
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
