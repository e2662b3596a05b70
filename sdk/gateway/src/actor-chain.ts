import { InvalidEventError } from "./errors.js";

/** The schema's cap on `delegation` (maxItems), so a token nested deeper is refused, not cut. */
export const MAX_DELEGATION_DEPTH = 32;

export interface ActorChain {
  /** Agent ids from the originating agent down to the acting agent (inclusive). */
  readonly delegation: string[];
  /** The token's subject when actors acted for it: the human (or service) delegated from. */
  readonly onBehalfOf: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads the delegation chain from a verified token's claims per RFC 8693 section 4.1: `act`
 * names the current actor and a nested `act` the actor before it, so the most deeply nested
 * actor is where the chain began. Returns undefined for a token without `act` (no delegation).
 * The gateway must have verified the token; this only reads claims.
 */
export function actorChainFromClaims(
  claims: unknown,
  agentId: string,
): ActorChain | undefined {
  if (!isRecord(claims) || !isRecord(claims["act"])) return undefined;
  const newestFirst: string[] = [];
  let actor: unknown = claims["act"];
  while (isRecord(actor)) {
    const subject = actor["sub"];
    if (typeof subject === "string" && subject !== "")
      newestFirst.push(subject);
    // Stop walking a hostile, very deep claim early: one past the cap is enough to refuse it.
    if (newestFirst.length > MAX_DELEGATION_DEPTH) break;
    actor = actor["act"];
  }
  const delegation = newestFirst.reverse();
  // The chain ends with the agent making this call, whatever name the token gave the actor.
  if (delegation[delegation.length - 1] !== agentId) delegation.push(agentId);
  if (delegation.length > MAX_DELEGATION_DEPTH)
    throw new InvalidEventError([
      {
        path: "/delegation",
        message: `the token's act claim makes a chain longer than ${MAX_DELEGATION_DEPTH} agents`,
      },
    ]);
  const subject = claims["sub"];
  return {
    delegation,
    onBehalfOf:
      typeof subject === "string" &&
      subject !== "" &&
      !delegation.includes(subject)
        ? subject
        : undefined,
  };
}
