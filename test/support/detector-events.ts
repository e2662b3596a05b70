import type { CanonicalEvent } from "@warden/shared";
import { canonicalEvent } from "./events.js";

/**
 * canonicalEvent with the agent's own credential: credentials are issued per agent, and the
 * detector rightly alerts when one is used by several agent ids.
 */
export function agentEvent(
  agentId: string,
  timeMs: number,
  index: number,
): CanonicalEvent {
  return {
    ...canonicalEvent(agentId, timeMs, index),
    credential: { id: `key-${agentId}`, type: "api_key" },
  };
}
