import { MINUTE_MS, MINUTES_PER_HOUR, STATE_CAPS } from "../agent-state.js";
import { forgetBefore, rememberBounded } from "../bounded.js";
import { sumRing } from "../ring.js";
import {
  clamp01,
  formatCount,
  formatDuration,
  type Detector,
  type DetectorInput,
} from "./types.js";

/** The burst rule's limit for this agent: from its baseline's busiest minutes, else absolute. */
export function burstLimit(input: DetectorInput): number {
  const { baseline, limits } = input;
  if (!baseline) return limits.burstMaxCalls;
  const busiest = Math.max(
    baseline.model.ratePerMinute.p99,
    baseline.model.ratePerMinute.max,
  );
  // A window shorter than a minute may hold a whole busy minute, so the minute's count is the unit.
  return Math.max(
    limits.burstMinCalls,
    Math.ceil(limits.burstBaselineFactor * busiest),
  );
}

/** Runaway loop: a hard sliding-window limit that never waits on a model. */
export const burstDetector: Detector = (input) => {
  const { state, layout, limits } = input;
  const calls = sumRing(
    state.cells,
    layout.burst,
    state.burstHead,
    layout.burst.buckets,
  );
  const limit = burstLimit(input);
  if (calls <= limit) return undefined;
  const window = formatDuration(limits.burstWindowMs);
  const source = input.baseline
    ? `${input.baseline.level} baseline allows`
    : "absolute limit is";
  return {
    detector: "burst",
    score: 1,
    summary: `${formatCount(calls)} calls in ${window}; the ${source} ${formatCount(limit)} per ${window}`,
    observed: calls,
    expected: limit,
  };
};

/** Excess (in robust-scale units) over the busiest minute where the rate starts to count, and where it is certain. */
const RATE_Z_START = 4;
const RATE_Z_FULL = 12;
/** The scale is at least this share of the busiest minute, so bursty agents need a proportionate jump. */
const RATE_SCALE_SHARE = 0.25;

/**
 * Calls in the current minute against the busiest minutes of the baseline (p99, max): an
 * agent whose normal work comes in bursts (deploys, batch runs) has those in its history, so
 * only a minute well beyond them counts. z = (calls − busiest) / max(1.4826·MAD, ¼·busiest, 1).
 */
export const rateSpikeDetector: Detector = (input) => {
  const { baseline, state, layout } = input;
  if (!baseline) return undefined;
  const rate = baseline.model.ratePerMinute;
  const calls = sumRing(
    state.cells,
    layout.callsPerMinute,
    state.minuteHead,
    1,
  );
  const busiest = Math.max(rate.p99, rate.max);
  if (calls <= busiest) return undefined;
  const scale = Math.max(1.4826 * rate.mad, RATE_SCALE_SHARE * busiest, 1);
  const z = (calls - busiest) / scale;
  const score = clamp01((z - RATE_Z_START) / (RATE_Z_FULL - RATE_Z_START));
  if (score === 0) return undefined;
  return {
    detector: "rate_spike",
    score,
    summary: `${formatCount(calls)} calls this minute; the ${baseline.level} baseline's busiest minute had ${formatCount(busiest)} (median ${formatCount(rate.median)})`,
    observed: calls,
    expected: busiest,
  };
};

const PROBING_MINUTES = 10;
/** Denied calls beyond the expected ones before probing starts to count. */
const PROBING_SLACK = 3;
const PROBING_FULL_EXCESS = 10;
const PROBING_FULL_RESOURCES = 5;
/** Share of calls denied that is normal for any agent (permissions drift, expired grants). */
const DENIED_RATE_FLOOR = 0.05;

/** Many denied calls across many resources within ten minutes. */
export const deniedProbingDetector: Detector = (input) => {
  const { event, state, layout, baseline } = input;
  if (event.outcome !== "denied") return undefined;
  const cutoff = event.time_ms - PROBING_MINUTES * MINUTE_MS;
  const resource =
    event.resource?.id ?? event.resource?.type ?? event.action.name;
  rememberBounded(
    state.deniedResources,
    resource,
    event.time_ms,
    STATE_CAPS.deniedResources,
  );
  const resources = forgetBefore(state.deniedResources, cutoff);
  const denied = sumRing(
    state.cells,
    layout.deniedPerMinute,
    state.minuteHead,
    PROBING_MINUTES,
  );
  const calls = sumRing(
    state.cells,
    layout.callsPerMinute,
    state.minuteHead,
    PROBING_MINUTES,
  );
  const expected =
    Math.max(baseline?.model.deniedRate ?? 0, DENIED_RATE_FLOOR) * calls;
  const excess = denied - expected - PROBING_SLACK;
  const score =
    clamp01(excess / PROBING_FULL_EXCESS) *
    clamp01((resources - 1) / (PROBING_FULL_RESOURCES - 1));
  if (score === 0) return undefined;
  return {
    detector: "denied_probing",
    score,
    summary: `${formatCount(denied)} denied calls on ${formatCount(resources)} resources in ${PROBING_MINUTES} min; about ${formatCount(expected)} expected`,
    observed: denied,
    expected: Math.round(expected * 10) / 10,
  };
};

/** Bytes out over the last hour against the baseline's hourly volume. */
export function bytesLastHour(input: DetectorInput): number {
  return sumRing(
    input.state.cells,
    input.layout.bytesPerMinute,
    input.state.minuteHead,
    MINUTES_PER_HOUR,
  );
}
