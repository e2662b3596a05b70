import type { AgentState } from "./agent-state.js";
import {
  DETECTOR_NAMES,
  DETECTOR_TRAITS,
  DETECTOR_INDEX,
  type DetectorResult,
} from "./detectors/types.js";
import { combineEvidence, decay, type Evidence } from "./evidence.js";
import { ACTION_RANK, type Action, type Policy } from "./policy.js";

/** Accumulated evidence below this many bits is forgotten (the agent's memory is freed). */
const FORGET_BITS = 0.25;

/**
 * The sequential test: each detector's evidence, decayed with the policy's half-life, builds up
 * within the agent's incident — summed for detectors that report distinct facts, the maximum
 * for those that re-measure one condition (detectors/types.ts) — and the incident's evidence is
 * their combination (evidence.ts). Several weak signals within minutes therefore add up to a
 * decision none of them reaches alone, while one condition re-reported on every event does not
 * count more than once. Returns the incident's evidence after `results`.
 */
export function accumulateEvidence(
  state: AgentState,
  timeMs: number,
  results: readonly DetectorResult[],
  halfLifeMs: number,
): number {
  let evidence = state.evidence;
  if (evidence && timeMs > state.evidenceAtMs) {
    const factor = decay(1, timeMs - state.evidenceAtMs, halfLifeMs);
    let any = false;
    for (let i = 0; i < evidence.length; i++) {
      const value = (evidence[i] ?? 0) * factor;
      evidence[i] = value >= FORGET_BITS ? value : 0;
      if (value >= FORGET_BITS) any = true;
    }
    state.evidenceAtMs = timeMs;
    if (!any && results.length === 0) {
      state.evidence = evidence = undefined;
    }
  }
  if (results.length === 0) return evidence ? combine(evidence) : 0;
  if (!evidence) {
    state.evidence = evidence = new Float32Array(DETECTOR_NAMES.length);
    state.evidenceAtMs = timeMs;
  }
  for (const result of results) {
    const index = DETECTOR_INDEX[result.detector];
    const held = evidence[index] ?? 0;
    evidence[index] =
      DETECTOR_TRAITS[result.detector].accumulate === "sum"
        ? held + result.bits
        : Math.max(held, result.bits);
  }
  return combine(evidence);
}

function combine(evidence: Float32Array): number {
  const items: Evidence[] = [];
  for (let i = 0; i < evidence.length; i++) {
    const bits = evidence[i] ?? 0;
    if (bits > 0)
      items.push({
        family: DETECTOR_TRAITS[DETECTOR_NAMES[i] ?? "burst"].family,
        bits,
      });
  }
  return combineEvidence(items);
}

/**
 * Cooldown and hysteresis: one decision per incident, escalation allowed.
 *
 * An incident opens with a decision. It stays open while events keep the evidence at or above
 * the alert cut-off less `hysteresis` bits (so evidence hovering around a cut-off does not
 * flap), and closes after `cooldownSeconds` of event time without such an event. While it is
 * open, only an action that ranks above the incident's strongest so far is decided.
 */
export function admitDecision(
  state: AgentState,
  timeMs: number,
  evidence: number,
  alertCutoff: number,
  action: Action | undefined,
  policy: Policy,
): "decide" | "held" | "none" {
  const incident = state.incident;
  if (incident && timeMs - incident.lastHotMs >= policy.cooldownSeconds * 1000)
    state.incident = undefined;
  const hot =
    action !== undefined || evidence >= alertCutoff - policy.hysteresis;
  if (state.incident && hot)
    state.incident.lastHotMs = Math.max(state.incident.lastHotMs, timeMs);
  if (action === undefined) return "none";
  const rank = ACTION_RANK[action];
  if (state.incident && rank <= state.incident.rank) return "held";
  state.incident = { rank, lastHotMs: timeMs };
  return "decide";
}
