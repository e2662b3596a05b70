import { STATE_CAPS } from "../agent-state.js";
import { bytesLastHour } from "./activity.js";
import {
  clamp01,
  flagOnce,
  formatBytes,
  vocabularyStatus,
  type Detector,
  type DetectorResult,
} from "./types.js";

/** Weight of a never-seen resource by sensitivity: restricted data weighs most. */
export const SENSITIVITY_WEIGHT: Readonly<Record<string, number>> = {
  restricted: 1,
  confidential: 0.75,
  internal: 0.4,
  public: 0.15,
};
const UNLABELLED_WEIGHT = 0.3;
/** A value missing from a truncated vocabulary may just be rare: it counts half. */
const RARE_FACTOR = 0.5;
/** Hourly bytes no baseline considers suspicious. */
const MIN_EXPECTED_BYTES_PER_HOUR = 16 * 1024 ** 2;
// Hours of heavy-tailed agents (clones, copies) reach several times their busiest hour of a
// few days' history; bulk exports are orders of magnitude beyond it.
const EXFIL_RATIO_START = 3;
const EXFIL_RATIO_FULL = 10;
const RESTRICTED_EXPORT_SCORE = 0.9;
/** An export of restricted data this many times the agent's usual per-call bytes is bulk. */
const RESTRICTED_EXPORT_FACTOR = 10;

/** Bytes over the last hour vs the baseline's hourly p99; exports of restricted data. */
export const volumeExfilDetector: Detector = (input) => {
  const { event, baseline, limits } = input;
  const bytes = bytesLastHour(input);
  const hourly = baseline?.model.bytesPerHour;
  const expected = hourly
    ? // The busiest hour in the window: heavy-tailed agents (clones, nightly copies) had one.
      Math.max(
        hourly.p99,
        hourly.max,
        3 * hourly.median,
        MIN_EXPECTED_BYTES_PER_HOUR,
      )
    : limits.fallbackBytesPerHour;
  const ratio = bytes / expected;
  const volumeScore = clamp01(
    (ratio - EXFIL_RATIO_START) / (EXFIL_RATIO_FULL - EXFIL_RATIO_START),
  );
  let best: DetectorResult | undefined =
    volumeScore > 0
      ? {
          detector: "volume_exfil",
          score: volumeScore,
          summary: `${formatBytes(bytes)} out in the last hour; the ${baseline ? `${baseline.level} baseline's busiest hour` : "absolute limit"} is ${formatBytes(expected)} per hour`,
          observed: bytes,
          expected,
        }
      : undefined;
  if (
    baseline &&
    event.action.verb === "export" &&
    event.resource?.sensitivity === "restricted"
  ) {
    const usual = baseline.model.bytesPerCallBySensitivity["restricted"];
    const callBytes = event.bytes_out ?? 0;
    const bulk =
      !usual || callBytes > RESTRICTED_EXPORT_FACTOR * Math.max(usual.p99, 1);
    if (bulk && RESTRICTED_EXPORT_SCORE > (best?.score ?? 0))
      best = {
        detector: "volume_exfil",
        score: RESTRICTED_EXPORT_SCORE,
        summary: usual
          ? `export of ${formatBytes(callBytes)} of restricted data in one call; the ${baseline.level} baseline's p99 is ${formatBytes(usual.p99)} per call`
          : `export of ${formatBytes(callBytes)} of restricted data; the ${baseline.level} baseline never read restricted data`,
        observed: callBytes,
        expected: usual?.p99 ?? 0,
      };
  }
  return best;
};

/** A never-seen resource type, or a sensitivity the agent never touched, weighted by sensitivity. */
export const novelResourceDetector: Detector = (input) => {
  const { event, baseline } = input;
  const type = event.resource?.type;
  const sensitivity = event.resource?.sensitivity;
  if (!baseline || (type === undefined && sensitivity === undefined))
    return undefined;
  const vocabulary = baseline.model.vocabulary;
  const weight =
    sensitivity === undefined
      ? UNLABELLED_WEIGHT
      : (SENSITIVITY_WEIGHT[sensitivity] ?? UNLABELLED_WEIGHT);
  const newSensitivity =
    sensitivity !== undefined
      ? vocabularyStatus(vocabulary.sensitivities, sensitivity)
      : "seen";
  const newType =
    type !== undefined
      ? vocabularyStatus(vocabulary.resourceTypes, type)
      : "seen";
  if (newSensitivity === "seen" && newType === "seen") return undefined;
  const certainty = (status: string): number =>
    status === "new" ? 1 : RARE_FACTOR;
  // A sensitivity level never touched weighs more than a new type within a known level.
  const score =
    newSensitivity !== "seen"
      ? 0.95 * weight * certainty(newSensitivity)
      : 0.85 * weight * certainty(newType);
  const what = `${type ?? "resource"} (${sensitivity ?? "unlabelled"})`;
  if (!flagOnce(input, "resource", what, STATE_CAPS.flagged)) return undefined;
  return {
    detector: "novel_resource",
    score,
    summary:
      newSensitivity !== "seen"
        ? `first access to ${what}; the ${baseline.level} baseline never touched ${sensitivity} data`
        : `first access to ${what}; the ${baseline.level} baseline has ${vocabulary.resourceTypes.distinct} resource types and never this one`,
    observed: what,
    expected: vocabulary.resourceTypes.top.map(([value]) => value).join(", "),
  };
};
