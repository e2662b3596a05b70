import type { CanonicalEvent } from "@warden/shared";
import type { Detector } from "./types.js";

/**
 * A static deny-list entry of the policy file: behaviour that is forbidden whatever the
 * baseline says. Every field given must match (a list matches when any of its values does);
 * an entry with no condition besides its scope matches every event of that scope.
 */
export interface DenyRule {
  readonly id: string;
  readonly tenant?: string;
  readonly agent?: string;
  readonly agentKind?: string;
  /** Action names (`iam.roles.assign`). */
  readonly actions?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resourceTypes?: readonly string[];
  readonly sensitivities?: readonly string[];
  /** Credential scopes: matches when the credential carries any of them. */
  readonly scopes?: readonly string[];
  /** Source addresses, exact or as a prefix ending in `.` or `:` (`203.0.113.`). */
  readonly sourceIps?: readonly string[];
}

function oneOf(
  values: readonly string[] | undefined,
  value: string | undefined,
): boolean {
  return (
    values === undefined || (value !== undefined && values.includes(value))
  );
}

function ipMatches(
  patterns: readonly string[] | undefined,
  ip: string | undefined,
): boolean {
  if (patterns === undefined) return true;
  if (ip === undefined) return false;
  return patterns.some((pattern) =>
    pattern.endsWith(".") || pattern.endsWith(":")
      ? ip.startsWith(pattern)
      : ip === pattern,
  );
}

export function denyRuleMatches(
  rule: DenyRule,
  event: CanonicalEvent,
): boolean {
  return (
    (rule.tenant === undefined || rule.tenant === event.tenant) &&
    (rule.agent === undefined || rule.agent === event.agent.id) &&
    (rule.agentKind === undefined || rule.agentKind === event.agent.kind) &&
    oneOf(rule.actions, event.action.name) &&
    oneOf(rule.verbs, event.action.verb) &&
    oneOf(rule.resourceTypes, event.resource?.type) &&
    oneOf(rule.sensitivities, event.resource?.sensitivity) &&
    (rule.scopes === undefined ||
      (event.credential.scopes ?? []).some((scope) =>
        rule.scopes?.includes(scope),
      )) &&
    ipMatches(rule.sourceIps, event.source?.ip)
  );
}

/**
 * Evidence of a deny-list match: as much as an alert needs on a busy agent; the default policy
 * steps up on it (policy.ts), a policy that wants it to revoke says so.
 */
const DENY_RULE_BITS = 20;

/** Static rules from the policy: the first deny-list entry the event matches. */
export const denyRuleDetector: Detector = (input) => {
  const { event, denyRules } = input;
  for (const rule of denyRules) {
    if (!denyRuleMatches(rule, event)) continue;
    const resource = event.resource
      ? ` on ${event.resource.type ?? "resource"} ${event.resource.id ?? ""}`.trimEnd()
      : "";
    return {
      detector: "deny_rule",
      bits: DENY_RULE_BITS,
      summary: `${event.action.name}${resource} matches deny rule ${rule.id}; the policy forbids it`,
      observed: event.action.name,
      expected: `not ${rule.id}`,
    };
  }
  return undefined;
};
