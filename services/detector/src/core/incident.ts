import type { AgentState } from "./agent-state.js";
import { ACTION_RANK, type Action, type Policy } from "./policy.js";

/**
 * Cooldown and hysteresis: one decision per incident, escalation allowed.
 *
 * An incident opens with a decision. It stays open while events keep the risk at or above
 * `alert − hysteresis` (so a risk hovering around the threshold does not flap), and closes
 * after `cooldownSeconds` of event time without such an event. While it is open, only an
 * action that ranks above the incident's strongest so far is decided.
 */
export function admitDecision(
  state: AgentState,
  timeMs: number,
  risk: number,
  action: Action | undefined,
  policy: Policy,
): "decide" | "held" | "none" {
  const incident = state.incident;
  if (incident && timeMs - incident.lastHotMs >= policy.cooldownSeconds * 1000)
    state.incident = undefined;
  const hot =
    action !== undefined || risk >= policy.thresholds.alert - policy.hysteresis;
  if (state.incident && hot)
    state.incident.lastHotMs = Math.max(state.incident.lastHotMs, timeMs);
  if (action === undefined) return "none";
  const rank = ACTION_RANK[action];
  if (state.incident && rank <= state.incident.rank) return "held";
  state.incident = { rank, lastHotMs: timeMs };
  return "decide";
}
