import { EMPTY_STATS, type BaselineModel } from "@warden/shared";
import { STATE_CAPS } from "../agent-state.js";
import { youngAgentBits } from "./peer-limits.js";
import { bytesLastHour } from "./activity.js";
import { poissonBits, tailBits } from "../evidence.js";
import {
  flagOnce,
  formatBytes,
  temperedNovelty,
  type Detector,
  type DetectorInput,
  type DetectorResult,
} from "./types.js";

/** Hourly bytes no baseline considers suspicious. */
const MIN_EXPECTED_BYTES_PER_HOUR = 16 * 1024 ** 2;
/** Bytes per call too small to call an export bulk whatever the history. */
const MIN_BULK_BYTES = 64 * 1024;

/** Surprise of `bytes` out in an hour under a model's bytes per active hour. */
function hourBitsUnder(model: BaselineModel, bytes: number): number {
  return tailBits(
    bytes,
    model.bytesPerHour,
    model.history.activeHours,
    MIN_EXPECTED_BYTES_PER_HOUR,
  );
}

/**
 * Bytes out over the last hour against the baseline's distribution of bytes per active hour,
 * and a single call of restricted or confidential data against the agent's own calls of its
 * kind (callBytesResult; tail surprise, evidence.ts). Without a baseline: the absolute hourly
 * limit.
 */
export const volumeExfilDetector: Detector = (input) => {
  const { baseline, limits } = input;
  const bytes = bytesLastHour(input);
  let best: DetectorResult | undefined;
  const hourly = baseline?.model.bytesPerHour;
  // A young agent's heaviest hours so far are tempered by its peers' (peer-limits.ts).
  const hourBits = baseline
    ? youngAgentBits(input, bytes, hourBitsUnder)
    : bytes > limits.fallbackBytesPerHour
      ? poissonBits(bytes / limits.fallbackBytesPerHour, 1) + 8
      : 0;
  if (hourBits > 0) {
    const expected = hourly
      ? Math.max(hourly.p99, hourly.max, MIN_EXPECTED_BYTES_PER_HOUR)
      : limits.fallbackBytesPerHour;
    best = {
      detector: "volume_exfil",
      bits: hourBits,
      summary: `${formatBytes(bytes)} out in the last hour; the ${baseline ? `${baseline.level} baseline's busiest hour` : "absolute limit"} is ${formatBytes(expected)} per hour`,
      observed: bytes,
      expected,
    };
  }
  const call = callBytesResult(input);
  if (call && call.bits > (best?.bits ?? 0)) best = call;
  return best;
};

/**
 * One successful call returning restricted or confidential data, against what the agent's own
 * calls of that kind returned: an export against its exports when it made some (the nightly
 * report is in its history), else, like any read, against its calls at that sensitivity. An
 * agent that never touched data at that level has no bytes of it to expect: every byte over
 * the bulk floor is excess.
 */
function callBytesResult(input: DetectorInput): DetectorResult | undefined {
  const { event, baseline } = input;
  const sensitivity = event.resource?.sensitivity;
  const callBytes = event.bytes_out ?? 0;
  if (
    !baseline ||
    event.outcome !== "success" ||
    (sensitivity !== "restricted" && sensitivity !== "confidential") ||
    callBytes <= MIN_BULK_BYTES
  )
    return undefined;
  const { model } = baseline;
  const verb = event.action.verb;
  const exports =
    verb === "export" ? model.bytesPerCallByVerb[verb] : undefined;
  const atLevel = model.bytesPerCallBySensitivity[sensitivity];
  const stats = exports ?? atLevel ?? EMPTY_STATS;
  // The sample is the calls of that kind, not all the agent's: its exports (the verb's count
  // in its vocabulary) or its calls at that sensitivity; their maximum is one in those.
  const count = (dimension: "verbs" | "sensitivities", value: string) =>
    model.vocabulary[dimension].top.find(([v]) => v === value)?.[1];
  const samples =
    (exports ? count("verbs", verb) : count("sensitivities", sensitivity)) ??
    model.history.events;
  const bits = tailBits(callBytes, stats, samples, MIN_BULK_BYTES);
  if (!(bits > 0)) return undefined;
  const what = `${verb === "export" ? "export" : `${verb} call`} of ${formatBytes(callBytes)} of ${sensitivity} data in one call`;
  return {
    detector: "volume_exfil",
    bits,
    summary: exports
      ? `${what}; the ${baseline.level} baseline's exports reach ${formatBytes(Math.max(exports.p99, exports.max))} per call`
      : atLevel
        ? `${what}; the ${baseline.level} baseline's p99 is ${formatBytes(atLevel.p99)} per call at ${sensitivity}`
        : `${what}; the ${baseline.level} baseline never read ${sensitivity} data`,
    observed: callBytes,
    expected: stats.p99,
  };
}

/** A never-seen resource type, or a sensitivity the agent never touched. */
export const novelResourceDetector: Detector = (input) => {
  const { event, baseline } = input;
  const type = event.resource?.type;
  const sensitivity = event.resource?.sensitivity;
  if (!baseline || (type === undefined && sensitivity === undefined))
    return undefined;
  const vocabulary = baseline.model.vocabulary;
  const bySensitivity =
    sensitivity !== undefined
      ? temperedNovelty(input, "sensitivities", sensitivity)
      : undefined;
  const byType =
    type !== undefined
      ? temperedNovelty(input, "resourceTypes", type)
      : undefined;
  const newSensitivity =
    bySensitivity !== undefined && bySensitivity.status !== "seen";
  const newType = byType !== undefined && byType.status !== "seen";
  if (!newSensitivity && !newType) return undefined;
  const what = `${type ?? "resource"} (${sensitivity ?? "unlabelled"})`;
  if (!flagOnce(input, "resource", what, STATE_CAPS.flagged)) return undefined;
  // A new level and a new type are one fact (a new kind of data): the stronger counts.
  const bits = Math.max(
    newSensitivity ? (bySensitivity?.bits ?? 0) : 0,
    newType ? (byType?.bits ?? 0) : 0,
  );
  if (!(bits > 0)) return undefined;
  return {
    detector: "novel_resource",
    bits,
    summary: newSensitivity
      ? `first access to ${what}; the ${baseline.level} baseline never touched ${sensitivity} data`
      : `first access to ${what}; the ${baseline.level} baseline has ${vocabulary.resourceTypes.distinct} resource types and never this one`,
    observed: what,
    expected: vocabulary.resourceTypes.top.map(([value]) => value).join(", "),
  };
};
