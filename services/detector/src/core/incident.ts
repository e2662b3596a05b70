import type { AgentState } from "./agent-state.js";
import {
  DETECTOR_NAMES,
  DETECTOR_TRAITS,
  DETECTOR_INDEX,
  type DetectorResult,
} from "./detectors/types.js";
import {
  combineEvidence,
  decay,
  fisherBits,
  type Evidence,
} from "./evidence.js";
import { ACTION_RANK, type Action, type Policy } from "./policy.js";

/** Accumulated evidence below this many bits is forgotten (the agent's memory is freed). */
const FORGET_BITS = 0.25;
/** Facts kept per "sum" detector in an incident: the strongest; weaker ones add nothing. */
const FACTS_KEPT = 4;
/**
 * The incident's array holds, per detector (DETECTOR_INDEX), its bits (a "sum" detector's total,
 * a "max" detector's maximum) and, from this offset, a "sum" detector's FACTS_KEPT strongest
 * facts, strongest first (decayed alike).
 */
const FACTS = DETECTOR_NAMES.length;
const EVIDENCE_LENGTH = FACTS * (1 + FACTS_KEPT);

/**
 * One detector's evidence in the incident: the maximum for a detector that re-measures one
 * condition; for one that reports distinct facts, their combination by the rule that combines
 * families (evidence.ts: Fisher's method over the strongest j facts, the j that says most), so
 * k facts each at 2^−b are worth what k facts of a healthy agent reach that rarely, not k·b. The
 * first deploy of an infrastructure role brings several first uses at once, each about 8 bits:
 * summed they said one in 2^16 (a revocation); together they are one in 2^12.
 */
export function detectorBits(
  evidence: ArrayLike<number> | undefined,
  index: number,
): number {
  const total = evidence?.[index] ?? 0;
  if (!evidence || !(total > 0)) return 0;
  const name = DETECTOR_NAMES[index];
  if (!name || DETECTOR_TRAITS[name].accumulate !== "sum") return total;
  let best = 0;
  let prefix = 0;
  const base = FACTS + index * FACTS_KEPT;
  for (let j = 0; j < FACTS_KEPT; j++) {
    const bits = evidence[base + j] ?? 0;
    if (!(bits > 0)) break;
    prefix += bits;
    best = Math.max(best, fisherBits(prefix, j + 1));
  }
  return best;
}

/** Puts `bits` among the detector's strongest facts (sorted, strongest first). */
function keepFact(evidence: Float32Array, index: number, bits: number): void {
  const base = FACTS + index * FACTS_KEPT;
  let carry = bits;
  for (let j = 0; j < FACTS_KEPT; j++) {
    const held = evidence[base + j] ?? 0;
    if (carry > held) {
      evidence[base + j] = carry;
      carry = held;
    }
  }
}

/**
 * The sequential test: each detector's evidence, decayed with the policy's half-life, builds up
 * within the agent's incident — summed for detectors that report distinct facts, the maximum
 * for those that re-measure one condition (detectors/types.ts) — and the incident's evidence is
 * their combination (evidence.ts). Several weak signals within minutes therefore add up to a
 * decision none of them reaches alone, while one condition re-reported on every event does not
 * count more than once; k facts of one detector count as Fisher's combination of k (detectorBits).
 * Returns the incident's evidence after `results`.
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
    for (let i = 0; i < FACTS; i++) {
      const value = (evidence[i] ?? 0) * factor;
      const kept = value >= FORGET_BITS;
      evidence[i] = kept ? value : 0;
      if (kept) any = true;
      const base = FACTS + i * FACTS_KEPT;
      for (let j = base; j < base + FACTS_KEPT; j++)
        evidence[j] = kept ? (evidence[j] ?? 0) * factor : 0;
    }
    state.evidenceAtMs = timeMs;
    if (!any && results.length === 0) {
      state.evidence = evidence = undefined;
    }
  }
  if (results.length === 0) return evidence ? combine(evidence) : 0;
  if (!evidence) {
    state.evidence = evidence = new Float32Array(EVIDENCE_LENGTH);
    state.evidenceAtMs = timeMs;
  }
  for (const result of results) {
    const index = DETECTOR_INDEX[result.detector];
    const held = evidence[index] ?? 0;
    if (DETECTOR_TRAITS[result.detector].accumulate === "sum") {
      evidence[index] = held + result.bits;
      keepFact(evidence, index, result.bits);
    } else evidence[index] = Math.max(held, result.bits);
  }
  return combine(evidence);
}

function combine(evidence: Float32Array): number {
  const items: Evidence[] = [];
  for (let i = 0; i < FACTS; i++) {
    const bits = detectorBits(evidence, i);
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
