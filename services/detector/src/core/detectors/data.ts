import type { BaselineModel } from "@warden/shared";
import { STATE_CAPS } from "../agent-state.js";
import { youngAgentBits } from "./peer-limits.js";
import { bytesLastHour } from "./activity.js";
import { poissonBits, tailBits } from "../evidence.js";
import {
  flagOnce,
  formatBytes,
  temperedNovelty,
  type Detector,
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
 * and a single export of restricted or confidential data against the baseline's bytes per call
 * of that sensitivity (tail surprise, evidence.ts). Without a baseline: the absolute hourly limit.
 */
export const volumeExfilDetector: Detector = (input) => {
  const { event, baseline, limits } = input;
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
  const sensitivity = event.resource?.sensitivity;
  const callBytes = event.bytes_out ?? 0;
  if (
    baseline &&
    event.action.verb === "export" &&
    (sensitivity === "restricted" || sensitivity === "confidential") &&
    callBytes > MIN_BULK_BYTES
  ) {
    const usual = baseline.model.bytesPerCallBySensitivity[sensitivity];
    // Never exported this sensitivity: judge against every call's bytes.
    const stats = usual ?? baseline.model.bytesPerCall;
    const callBits = tailBits(
      callBytes,
      stats,
      baseline.model.history.events,
      MIN_BULK_BYTES,
    );
    if (callBits > (best?.bits ?? 0))
      best = {
        detector: "volume_exfil",
        bits: callBits,
        summary: usual
          ? `export of ${formatBytes(callBytes)} of ${sensitivity} data in one call; the ${baseline.level} baseline's p99 is ${formatBytes(usual.p99)} per call`
          : `export of ${formatBytes(callBytes)} of ${sensitivity} data in one call; the ${baseline.level} baseline never read ${sensitivity} data and its p99 is ${formatBytes(stats.p99)} per call`,
        observed: callBytes,
        expected: stats.p99,
      };
  }
  return best;
};

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
