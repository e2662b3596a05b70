import type { BaselineModel, CanonicalEvent } from "@warden/shared";
import {
  DETECTOR_NAMES,
  DETECTOR_TRAITS,
  type DetectorResult,
} from "./detectors/types.js";
import { detectorBits } from "./incident.js";
import { ACTION_RANK, ACTIONS, type Action, type Policy } from "./policy.js";

/**
 * From evidence (bits, evidence.ts) to an action.
 *
 * Cut-offs are false-alarm budgets. Evidence of b bits arises on a healthy agent with
 * probability at most 2^−b per scored event, so an agent making n events a day crosses b at
 * most n · 2^−b times a day; the cut-off for a budget of r decisions per agent-day is therefore
 * log₂(n / r), with n taken from the baseline's own history (its events per agent per day).
 *
 * Impact decides the ladder: the stakes of the act (export, delete, admin, delegate, sending to
 * a new party; restricted or confidential data; a catalogued control-plane change) are bits of
 * prior odds that an anomaly here is harmful, taken off the step-up and revoke cut-offs, the
 * step-up never below the alert cut-off and revoke never below the step-up's. Evidence that would not alert stays quiet whatever the stakes (the
 * alert budget holds); evidence that does climbs higher the more is at stake, so an extreme
 * outlier on restricted data revokes at once.
 */

const DAY_MS = 86_400_000;
/** Events per agent-day assumed without a baseline (busy, so cut-offs err on the high side). */
export const COLD_EVENTS_PER_DAY = 2_000;
/** Never more than this much impact on one event. */
const MAX_IMPACT = 12;

const VERB_IMPACT: Readonly<Record<string, number>> = {
  export: 4,
  delete: 4,
  admin: 5,
  delegate: 3,
};
const SENSITIVITY_IMPACT: Readonly<Record<string, number>> = {
  restricted: 5,
  confidential: 3,
};

export type Cutoffs = Readonly<Record<Action, number>>;

/** Events per agent per day of a baseline's history. */
export function eventsPerAgentDay(model: BaselineModel | undefined): number {
  if (!model) return COLD_EVENTS_PER_DAY;
  const { events, agents, firstSeenMs, lastSeenMs } = model.history;
  const days = Math.max(1, (lastSeenMs - firstSeenMs) / DAY_MS);
  return Math.max(1, events / Math.max(1, agents) / days);
}

const cached = new WeakMap<object, { policy: Policy; cutoffs: Cutoffs }>();
const COLD_KEY = {};

/** The cut-offs in bits for an agent judged against `model` (memoised per model and policy). */
export function cutoffsFor(
  policy: Policy,
  model: BaselineModel | undefined,
): Cutoffs {
  const key = model ?? COLD_KEY;
  const hit = cached.get(key);
  if (hit?.policy === policy) return hit.cutoffs;
  const perDay = eventsPerAgentDay(model);
  const cutoffs = Object.fromEntries(
    ACTIONS.map((action) => [
      action,
      Math.max(
        policy.minBits[action],
        Math.log2(perDay / policy.budgets[action]),
      ),
    ]),
  ) as Record<Action, number>;
  cached.set(key, { policy, cutoffs });
  return cutoffs;
}

/** Stakes of this event in bits: its verb, its data's sensitivity, and what detectors know. */
export function impactBits(
  event: CanonicalEvent,
  results: readonly DetectorResult[],
): number {
  let impact =
    (VERB_IMPACT[event.action.verb] ?? 0) +
    (SENSITIVITY_IMPACT[event.resource?.sensitivity ?? ""] ?? 0);
  let known = 0;
  for (const result of results) known = Math.max(known, result.impact ?? 0);
  impact += known;
  return Math.min(MAX_IMPACT, impact);
}

/** The cut-offs for this event: the agent's, lowered by the event's stakes. */
export function effectiveCutoffs(
  policy: Policy,
  cutoffs: Cutoffs,
  impact: number,
): Cutoffs {
  return {
    alert: cutoffs.alert,
    step_up: Math.max(
      policy.minBits.step_up,
      cutoffs.alert,
      cutoffs.step_up - impact,
    ),
    // One rung at most: the stakes bring revoke down to where a step-up was, no further.
    revoke: Math.max(
      policy.minBits.revoke,
      cutoffs.step_up,
      cutoffs.revoke - impact,
    ),
  };
}

/**
 * The strongest action the incident's evidence may lead to, from the detectors' ceilings
 * (policy.ts). A detector carries the incident when its evidence (the incident's array,
 * incident.ts detectorBits) reaches `corroborationBits`, and the strongest detector always does. Two
 * carrying families corroborate each other: no ceiling. Otherwise the highest ceiling among the
 * carrying detectors applies (none set: revoke), so off_hours alone holds at most, and off_hours
 * with a new restricted resource may revoke.
 */
export function ceilingOf(
  incident: ArrayLike<number> | undefined,
  policy: Policy,
): Action {
  if (!incident) return "revoke";
  let strongest = -1;
  let most = 0;
  for (let i = 0; i < DETECTOR_NAMES.length; i++) {
    const bits = detectorBits(incident, i);
    if (bits > most) [strongest, most] = [i, bits];
  }
  let family: string | undefined;
  let ceiling = 0;
  for (let i = 0; i < DETECTOR_NAMES.length; i++) {
    if (
      i !== strongest &&
      !(detectorBits(incident, i) >= policy.corroborationBits)
    )
      continue;
    const name = DETECTOR_NAMES[i];
    if (!name) continue;
    const traits = DETECTOR_TRAITS[name];
    if (family !== undefined && traits.family !== family) return "revoke";
    family = traits.family;
    const own = policy.detectors[name]?.ceiling ?? "revoke";
    ceiling = Math.max(ceiling, ACTION_RANK[own]);
  }
  return ACTIONS.find((action) => ACTION_RANK[action] === ceiling) ?? "revoke";
}

/**
 * The action for the incident's evidence: the strongest whose cut-off it reaches, at most the
 * incident's ceiling (ceilingOf), raised by any detector override whose evidence reaches its
 * `minBits` (a runaway loop revokes at once).
 */
export function chooseAction(
  evidence: number,
  cutoffs: Cutoffs,
  results: readonly DetectorResult[],
  policy: Policy,
  incident?: ArrayLike<number>,
): Action | undefined {
  let chosen: Action | undefined;
  for (const action of ACTIONS)
    if (evidence >= cutoffs[action]) chosen = action;
  if (chosen) {
    const ceiling = ceilingOf(incident, policy);
    if (ACTION_RANK[chosen] > ACTION_RANK[ceiling]) chosen = ceiling;
  }
  for (const result of results) {
    const override = policy.detectors[result.detector];
    if (!override?.action || result.bits < (override.minBits ?? 0)) continue;
    if (!chosen || ACTION_RANK[override.action] > ACTION_RANK[chosen])
      chosen = override.action;
  }
  return chosen;
}

/** Risk in [0, 1] for the decision: the share of the revoke cut-off the evidence reached. */
export function riskOf(evidence: number, cutoffs: Cutoffs): number {
  if (!(evidence > 0)) return 0;
  return Math.min(1, evidence / cutoffs.revoke);
}
