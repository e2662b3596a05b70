import type { AgentState } from "./agent-state.js";
import { ACTIONS, type Action, type Policy } from "./policy.js";
import { MAX_BITS } from "./evidence.js";
import type { Cutoffs } from "./risk.js";
import { createBoundedStore } from "./state-store.js";

/**
 * The empirical check on the cut-offs (issue 15 item 2, "score the learning period").
 *
 * risk.ts derives each cut-off analytically: evidence is in bits of surprise, so a healthy
 * agent making n events a day peaks above b bits on at most n · 2^−b of its days. That holds
 * only as far as the estimates behind the bits are calibrated. The check: every agent-day
 * scored leaves its peak evidence (the incident's, before the stakes) in its peer group's
 * histogram, and the cut-off for a budget of r decisions per agent-day is also taken from
 * that history — the peak that a share `PEAK_SHARE` of the group's agent-days reached, plus
 * log₂(PEAK_SHARE / r) bits (the same one-bit-per-halving tail the analytic rule assumes,
 * extrapolated from a quantile the history does estimate instead of from its extremes). The
 * cut-off in force is the larger of the two, so a group whose healthy days are noisier than
 * its estimates claim cannot alert beyond its budget, and a calibrated group is unchanged.
 *
 * Robust by construction: an agent adds one sample per day, and the 90th percentile moves
 * only when more than a tenth of the group's agent-days are high — one abused agent (or an
 * attacker making noise to raise the bar) does not. The raise is capped at `MAX_RAISE` bits.
 */

/** Bins per bit of the histogram (half-bit resolution, 0 … MAX_BITS). */
const BINS_PER_BIT = 2;
export const PEAK_BINS = MAX_BITS * BINS_PER_BIT + 1;
/** Share of agent-days whose peak the empirical rule reads (a quantile, not an extreme). */
export const PEAK_SHARE = 0.1;
/** Agent-days a group needs before its history is asked. */
export const MIN_PEAK_DAYS = 20;
/** Past this many agent-days the histogram halves, so it follows the recent weeks. */
const PEAK_MEMORY_DAYS = 4_096;
/** The empirical cut-off never exceeds the analytic one by more than this. */
export const MAX_RAISE = 8;
const DAY_MS = 86_400_000;

/** One peer group's per-agent-day peaks: 129 counts, ~0.3 KiB per group. */
export interface PeakHistogram {
  readonly counts: Uint16Array;
  days: number;
  /** Bumped on every change, so memoised cut-offs know when to refresh. */
  version: number;
}

export function createPeakHistogram(): PeakHistogram {
  return { counts: new Uint16Array(PEAK_BINS), days: 0, version: 0 };
}

function binOf(bits: number): number {
  if (!(bits > 0)) return 0;
  return Math.min(PEAK_BINS - 1, Math.floor(bits * BINS_PER_BIT));
}

/** Adds one agent-day whose peak fell in `bin`. */
export function recordPeakBin(histogram: PeakHistogram, bin: number): void {
  const { counts } = histogram;
  counts[bin] = (counts[bin] ?? 0) + 1;
  histogram.days++;
  histogram.version++;
  if (histogram.days < PEAK_MEMORY_DAYS) return;
  let days = 0;
  for (let i = 0; i < counts.length; i++) {
    const halved = (counts[i] ?? 0) >>> 1;
    counts[i] = halved;
    days += halved;
  }
  histogram.days = days;
}

/** The peak reached on at least `share` of the agent-days (upper edge of its bin). */
export function peakAtShare(histogram: PeakHistogram, share: number): number {
  const { counts } = histogram;
  let above = 0;
  const wanted = share * histogram.days;
  for (let bin = counts.length - 1; bin >= 0; bin--) {
    above += counts[bin] ?? 0;
    if (above >= wanted) return (bin + 1) / BINS_PER_BIT;
  }
  return 0;
}

const memo = new WeakMap<
  PeakHistogram,
  { policy: Policy; version: number; cutoffs: Cutoffs | undefined }
>();

/** The group's empirical cut-offs for `policy`'s budgets; undefined while its history is short. */
export function empiricalCutoffs(
  policy: Policy,
  histogram: PeakHistogram,
): Cutoffs | undefined {
  const hit = memo.get(histogram);
  if (hit?.policy === policy && hit.version === histogram.version)
    return hit.cutoffs;
  let cutoffs: Cutoffs | undefined;
  if (histogram.days >= MIN_PEAK_DAYS) {
    const base = peakAtShare(histogram, PEAK_SHARE);
    cutoffs = Object.fromEntries(
      ACTIONS.map((action) => {
        const budget = policy.budgets[action];
        return [
          action,
          budget >= PEAK_SHARE
            ? peakAtShare(histogram, budget)
            : base + Math.log2(PEAK_SHARE / budget),
        ];
      }),
    ) as Record<Action, number>;
  }
  memo.set(histogram, { policy, version: histogram.version, cutoffs });
  return cutoffs;
}

/** Per action the larger of the analytic and the empirical cut-off (raised by MAX_RAISE at most). */
export function calibrated(
  analytic: Cutoffs,
  empirical: Cutoffs | undefined,
): Cutoffs {
  if (!empirical) return analytic;
  let raised = false;
  const out = { ...analytic };
  for (const action of ACTIONS) {
    const value = Math.min(empirical[action], analytic[action] + MAX_RAISE);
    if (value > analytic[action]) {
      out[action] = value;
      raised = true;
    }
  }
  return raised ? out : analytic;
}

/**
 * Follows one agent's peak evidence through its UTC day. `dayPeak` packs the day and the
 * peak's bin into one number (day · PEAK_BINS + bin; −1 before the first event), so it costs
 * an idle agent one field. When `timeMs` starts a new day, returns the bin of the day that
 * ended (for the group's histogram), else −1. A late event from a closed day counts toward
 * the open one.
 */
export function notePeak(
  state: { dayPeak: number },
  timeMs: number,
  bits: number,
): number {
  const day = Math.floor(timeMs / DAY_MS);
  const bin = binOf(bits);
  const held = state.dayPeak;
  if (held < 0) {
    state.dayPeak = day * PEAK_BINS + bin;
    return -1;
  }
  const heldDay = Math.floor(held / PEAK_BINS);
  const heldBin = held - heldDay * PEAK_BINS;
  if (day <= heldDay) {
    if (bin > heldBin) state.dayPeak = heldDay * PEAK_BINS + bin;
    return -1;
  }
  state.dayPeak = day * PEAK_BINS + bin;
  return heldBin;
}

export interface GroupCalibration {
  /** Follows the agent's day peak after an event; a finished day goes to its group's history. */
  follow(state: AgentState, timeMs: number, evidence: number): void;
  /** The agent's cut-offs: `analytic`, raised by its group's history when `needed`. */
  cutoffs(
    policy: Policy,
    analytic: Cutoffs,
    state: AgentState,
    needed: boolean,
  ): Cutoffs;
}

/** The peer groups' peak histograms (keyed like the peer baselines), bounded like any state. */
export function createGroupCalibration(options: {
  readonly maxEntries: number;
  readonly idleMs: number;
}): GroupCalibration {
  const histograms = createBoundedStore<PeakHistogram>(options);
  return {
    follow(state, timeMs, evidence) {
      const finished = notePeak(state, timeMs, evidence);
      if (finished >= 0)
        recordPeakBin(
          histograms.touch(
            state.baselineKeys.peer,
            timeMs,
            createPeakHistogram,
          ),
          finished,
        );
    },
    cutoffs(policy, analytic, state, needed) {
      if (!needed || histograms.size === 0) return analytic;
      const histogram = histograms.get(state.baselineKeys.peer);
      return histogram
        ? calibrated(analytic, empiricalCutoffs(policy, histogram))
        : analytic;
    },
  };
}
