import type { DetectorResult } from "./detectors/types.js";
import { ACTION_RANK, ACTIONS, type Action, type Policy } from "./policy.js";

/**
 * Risk = 1 − Π (1 − wᵢ·sᵢ) over the detectors' scores sᵢ with policy weights wᵢ (default 1):
 * a "noisy OR". It is in [0, 1], never below the strongest weighted score, grows with every
 * further independent signal, and a score of 1 makes the risk 1.
 */
export function combineRisk(
  results: readonly DetectorResult[],
  policy: Policy,
): number {
  let quiet = 1;
  for (const result of results) {
    const weight = policy.detectors[result.detector]?.weight ?? 1;
    quiet *= 1 - weight * result.score;
  }
  return Math.min(1, Math.max(0, 1 - quiet));
}

/**
 * The action for a risk: the strongest whose threshold it reaches, raised by any detector
 * override whose score reaches its `minScore` (a runaway loop revokes at once).
 */
export function chooseAction(
  risk: number,
  results: readonly DetectorResult[],
  policy: Policy,
): Action | undefined {
  let chosen: Action | undefined;
  for (const action of ACTIONS)
    if (risk >= policy.thresholds[action]) chosen = action;
  for (const result of results) {
    const override = policy.detectors[result.detector];
    if (!override?.action || result.score < (override.minScore ?? 1)) continue;
    if (!chosen || ACTION_RANK[override.action] > ACTION_RANK[chosen])
      chosen = override.action;
  }
  return chosen;
}
