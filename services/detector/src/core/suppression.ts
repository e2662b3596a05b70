import type { CanonicalEvent } from "@warden/shared";
import type { DetectorResult } from "./detectors/types.js";
import type { Action, Policy, Suppression } from "./policy.js";

function inScope(rule: Suppression, event: CanonicalEvent): boolean {
  if (rule.tenant !== undefined && rule.tenant !== event.tenant) return false;
  if (rule.agent !== undefined && rule.agent !== event.agent.id) return false;
  if (
    rule.agentKind !== undefined &&
    rule.agentKind !== (event.agent.kind ?? "")
  )
    return false;
  if (rule.from !== undefined && event.time_ms < Date.parse(rule.from))
    return false;
  if (rule.until !== undefined && event.time_ms >= Date.parse(rule.until))
    return false;
  return true;
}

/** Removes the results muted by detector-scoped rules; returns the kept results and the rules that fired. */
export function muteDetectors(
  results: readonly DetectorResult[],
  event: CanonicalEvent,
  policy: Policy,
): { kept: readonly DetectorResult[]; firedRules: readonly string[] } {
  if (policy.suppressions.length === 0)
    return { kept: results, firedRules: [] };
  let kept = [...results];
  const firedRules: string[] = [];
  for (const rule of policy.suppressions) {
    if (!rule.detectors || !inScope(rule, event)) continue;
    const muted = new Set<string>(rule.detectors);
    const remaining = kept.filter((result) => !muted.has(result.detector));
    if (remaining.length < kept.length) firedRules.push(rule.id);
    kept = remaining;
  }
  return { kept, firedRules };
}

/** The first whole-decision rule that drops a decision with `action`, if any. */
export function suppressingRule(
  action: Action,
  event: CanonicalEvent,
  policy: Policy,
): string | undefined {
  for (const rule of policy.suppressions) {
    if (rule.detectors || !inScope(rule, event)) continue;
    if (rule.actions && !rule.actions.includes(action)) continue;
    return rule.id;
  }
  return undefined;
}
