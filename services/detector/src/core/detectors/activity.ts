import {
  DELETE_MINUTES,
  MINUTE_MS,
  MINUTES_PER_HOUR,
  STATE_CAPS,
} from "../agent-state.js";
import { poissonBits, tailBits } from "../evidence.js";
import { forgetBefore, rememberBounded } from "../bounded.js";
import { sumRing } from "../ring.js";
import type { BaselineModel } from "@warden/shared";
import {
  limitFor,
  limitWords,
  youngAgentBits,
  type Limit,
} from "./peer-limits.js";
import {
  formatCount,
  formatDuration,
  type Detector,
  type DetectorInput,
} from "./types.js";

/** The busiest minute a baseline holds: what a burst window may reach without counting. */
function busiestMinute(model: BaselineModel): number {
  return Math.max(model.ratePerMinute.p99, model.ratePerMinute.max);
}

/**
 * The burst rule's limit for this agent: its baseline's busiest minute (a window shorter than a
 * minute may hold a whole busy minute, so the minute's count is the unit), a young agent's
 * raised toward its peers' and a newcomer's its peers' (peer-limits.ts); absolute without any.
 */
export function burstLimit(input: DetectorInput): Limit {
  const { limits } = input;
  const limit = limitFor(input, busiestMinute, limits.burstMaxCalls);
  if (limit.source === "absolute") return limit;
  return {
    value: Math.max(
      limits.burstMinCalls,
      Math.ceil(limits.burstBaselineFactor * limit.value),
    ),
    source: limit.source,
  };
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
  // No limit is below the smaller of these: most events need no baseline look-up at all.
  if (calls <= Math.min(limits.burstMinCalls, limits.burstMaxCalls))
    return undefined;
  const { value: limit, source } = burstLimit(input);
  if (calls <= limit) return undefined;
  const window = formatDuration(limits.burstWindowMs);
  return {
    detector: "burst",
    // The limit is the busiest whole minute; more than that in one window is beyond anything the
    // history holds (at least its 1/(n+1) tail), and further calls add Poisson surprise.
    bits: Math.max(
      BURST_MIN_BITS,
      poissonBits(calls, (limit * limits.burstWindowMs) / MINUTE_MS),
    ),
    summary: `${formatCount(calls)} calls in ${window}; the ${limitWords(source)} ${formatCount(limit)} per ${window}`,
    observed: calls,
    expected: limit,
  };
};

/** Evidence of any call count over the burst limit: the policy revokes on it (policy.ts). */
const BURST_MIN_BITS = 24;

/**
 * Calls in the current minute against the baseline's distribution of calls per active minute:
 * tail surprise (evidence.ts) beyond its busiest minutes, so an agent whose normal work comes in
 * bursts (deploys, batch runs) has those in its history and only a minute beyond them counts.
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
  // A young agent's busiest minutes so far are not all it will do: its peers' temper them.
  const bits = youngAgentBits(input, calls, minuteBitsUnder);
  if (!(bits > 0)) return undefined;
  return {
    detector: "rate_spike",
    bits,
    summary: `${formatCount(calls)} calls this minute; the ${baseline.level} baseline's busiest minute had ${formatCount(busiest)} (median ${formatCount(rate.median)})`,
    observed: calls,
    expected: busiest,
  };
};

/**
 * Surprise of `calls` in a minute under a model's calls per active minute. Busy minutes come in
 * runs within an hour: the history holds about one independent extreme per active hour, not per
 * active minute.
 */
function minuteBitsUnder(model: BaselineModel, calls: number): number {
  return tailBits(
    calls,
    model.ratePerMinute,
    model.history.activeHours / Math.max(1, model.history.agents),
    RATE_FLOOR,
  );
}

/** Calls per minute no baseline calls a spike. */
const RATE_FLOOR = 4;

const PROBING_MINUTES = 10;
/** Distinct denied resources before probing counts (one denied resource is a stale grant). */
const PROBING_MIN_RESOURCES = 3;
/** Share of calls denied that is normal for any agent (permissions drift, expired grants). */
const DENIED_RATE_FLOOR = 0.05;
/** Denied calls always expected in ten minutes. */
const DENIED_MIN_EXPECTED = 1;

/**
 * Many denied calls across many resources within ten minutes: the Poisson surprise of the
 * denied count given the baseline's denied share of the calls made.
 */
export const deniedProbingDetector: Detector = (input) => {
  const { event, state, layout, baseline } = input;
  if (event.outcome !== "denied") return undefined;
  const cutoff = event.time_ms - PROBING_MINUTES * MINUTE_MS;
  const resource =
    event.resource?.id ?? event.resource?.type ?? event.action.name;
  const deniedResources = (state.deniedResources ??= new Map<string, number>());
  rememberBounded(
    deniedResources,
    resource,
    event.time_ms,
    STATE_CAPS.deniedResources,
  );
  const resources = forgetBefore(deniedResources, cutoff);
  if (resources < PROBING_MIN_RESOURCES) return undefined;
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
  const expected = Math.max(
    Math.max(baseline?.model.deniedRate ?? 0, DENIED_RATE_FLOOR) * calls,
    DENIED_MIN_EXPECTED,
  );
  // Spread over many resources is what makes it probing: scale by the share of distinct ones.
  const spread = Math.min(1, resources / Math.max(denied, 1));
  const bits = poissonBits(denied, expected) * Math.sqrt(spread);
  if (!(bits > 0)) return undefined;
  return {
    detector: "denied_probing",
    bits,
    summary: `${formatCount(denied)} denied calls on ${formatCount(resources)} resources in ${PROBING_MINUTES} min; about ${formatCount(expected)} expected`,
    observed: denied,
    expected: Math.round(expected * 10) / 10,
  };
};

/** Deletes in ten minutes always allowed (a clean-up job removes a handful). */
const DELETES_MIN_EXPECTED = 2;

/**
 * Mass deletion: delete calls in the last ten minutes against the agent's share of delete calls
 * in its history (0 for an agent that never deletes), as Poisson surprise. Without a baseline
 * the expectation is the floor.
 */
export const destructiveBurstDetector: Detector = (input) => {
  const { event, state, layout, baseline } = input;
  if (event.action.verb !== "delete" || event.outcome === "denied")
    return undefined;
  const deletes = sumRing(
    state.cells,
    layout.deletesPerMinute,
    state.minuteHead,
    DELETE_MINUTES,
  );
  const verbs = baseline?.model.vocabulary.verbs;
  const deleteCount = verbs?.top.find(([verb]) => verb === "delete")?.[1] ?? 0;
  const share = verbs && verbs.total > 0 ? deleteCount / verbs.total : 0;
  const calls = sumRing(
    state.cells,
    layout.callsPerMinute,
    state.minuteHead,
    DELETE_MINUTES,
  );
  const ratePerMinute = baseline?.model.ratePerMinute.p99 ?? 0;
  // The busiest ten minutes of deleting the history allows: its share of its busiest minutes.
  const expected = Math.max(
    DELETES_MIN_EXPECTED,
    share * Math.max(calls, ratePerMinute * DELETE_MINUTES),
  );
  const bits = poissonBits(deletes, expected);
  if (bits < 1) return undefined;
  return {
    detector: "destructive_burst",
    bits,
    summary: `${formatCount(deletes)} delete calls in ${DELETE_MINUTES} min; the ${baseline ? `${baseline.level} baseline` : "absolute limit"} expects about ${formatCount(expected)}`,
    observed: deletes,
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
