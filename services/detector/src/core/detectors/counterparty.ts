import { STATE_CAPS } from "../agent-state.js";
import { newValueBits, sight } from "../seen.js";
import {
  flagOnce,
  formatCount,
  temperedNovelty,
  type Detector,
} from "./types.js";

/** Verbs that send something to the counterparty (write, send, pay, post, share, export). */
const SENDING_VERBS: ReadonlySet<string> = new Set([
  "write",
  "export",
  "delegate",
  "execute",
]);
/** Stakes of sending to a party the agent never dealt with (risk.ts). */
export const EXTERNAL_IMPACT = 6;

/**
 * The host of a URL (`scheme://host[:port]/…`), or the text itself when it is not one. By hand,
 * not `new URL`: this runs on every sending call, and the host is all that is kept.
 */
export function hostOf(target: string): string {
  const scheme = target.indexOf("://");
  const start = scheme < 0 ? 0 : scheme + 3;
  let end = target.length;
  for (const stop of ["/", "?", "#"]) {
    const at = target.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  const authority = target.slice(start, end);
  const at = authority.lastIndexOf("@");
  return (at >= 0 ? authority.slice(at + 1) : authority).toLowerCase();
}

/**
 * Counterparty novelty: the recipient, payee, destination or external resource of a call that
 * sends something (`action.counterparty`, else the host of `action.target`), never seen for this
 * tool and this agent. Its surprise is Good–Turing over the agent's own sends (the share of its
 * parties met only once): an agent that mails a new address on most calls gets ~0 bits, one that
 * paid the same three payees for months gets many. A party its peer group (the tenant's agents
 * of its kind) deals with is no news; one the group never dealt with either is judged by the
 * group's longer history too (the stronger of the two estimates: new to the group is the rarer
 * event), so a young agent's first odd payee is not excused by its short past.
 */
export const counterpartyNoveltyDetector: Detector = (input) => {
  const { event } = input;
  if (!SENDING_VERBS.has(event.action.verb) || event.outcome === "denied")
    return undefined;
  const explicit = event.action.counterparty;
  const target = event.action.target;
  const party = explicit ?? (target ? hostOf(target) : undefined);
  if (party === undefined) return undefined;
  const value = `${event.action.name}\u0000${party}`;
  const own = sight(input.seen(), "counterparty", value);
  // The group's memory learns from every send, also those the agent already knew.
  const group = sight(input.seen("peer"), "counterparty", value);
  // A party the agent's peers deal with is no news (as for tempered novelty, types.ts).
  if (own.known || own.uses === 0 || group.known) return undefined;
  // A tool's first call is novel_action's fact: its new party here would count it twice.
  if (temperedNovelty(input, "actions", event.action.name).status === "new")
    return undefined;
  const ownBits = newValueBits(own);
  const groupBits = group.uses > own.uses ? newValueBits(group) : 0;
  const bits = Math.max(ownBits, groupBits);
  if (bits < 1) return undefined;
  const byGroup = groupBits > ownBits;
  return {
    detector: "counterparty_novelty",
    bits,
    impact: EXTERNAL_IMPACT,
    techniques: explicit ? ["AML.T0051", "T1657"] : ["T1567"],
    summary: byGroup
      ? `${event.action.name} to ${party}, a counterparty neither this agent nor its peer group ever used; ${formatCount(group.distinct)} distinct (${formatCount(group.singletons)} used once) in the group's ${formatCount(group.uses)} earlier sends`
      : `${event.action.name} to ${party}, a counterparty this agent never used; ${formatCount(own.distinct)} distinct (${formatCount(own.singletons)} used once) in its ${formatCount(own.uses)} earlier sends`,
    observed: party,
    expected: `one of ${formatCount(byGroup ? group.distinct : own.distinct)} known`,
  };
};

/**
 * Client novelty: a gateway the baseline never saw for the agent, or a user agent this agent
 * never sent (Good–Turing over its own calls, as for counterparties).
 */
export const clientNoveltyDetector: Detector = (input) => {
  const { event, baseline } = input;
  const gateway = event.source?.gateway;
  if (baseline && gateway !== undefined) {
    const novelty = temperedNovelty(input, "gateways", gateway);
    if (
      novelty.status === "new" &&
      novelty.bits >= 1 &&
      flagOnce(input, "gateway", gateway, STATE_CAPS.flagged)
    )
      return {
        detector: "client_novelty",
        bits: novelty.bits,
        summary: `call through gateway ${gateway}, which the ${baseline.level} baseline's ${formatCount(baseline.model.vocabulary.gateways.total)} calls never used`,
        observed: gateway,
        expected: baseline.model.vocabulary.gateways.top
          .map(([g]) => g)
          .join(", "),
      };
  }
  const agentString = event.source?.user_agent;
  if (agentString === undefined) return undefined;
  const sighting = sight(input.seen(), "client", agentString);
  if (sighting.known || sighting.uses === 0) return undefined;
  const bits = newValueBits(sighting);
  if (bits < 1) return undefined;
  return {
    detector: "client_novelty",
    bits,
    summary: `user agent "${agentString.slice(0, 80)}" never sent by this agent; ${formatCount(sighting.distinct)} distinct in its ${formatCount(sighting.uses)} earlier calls`,
    observed: agentString.slice(0, 200),
    expected: `one of ${formatCount(sighting.distinct)} known`,
  };
};

/** Evidence of a call on an expired credential: a healthy gateway never accepts one. */
const EXPIRED_BITS = 20;
/** Evidence of a call on a credential Warden revoked: the revocation did not hold. */
const REVOKED_BITS = 40;
/** Calls in flight when the revocation was sent are not a failure of it. */
const REVOCATION_GRACE_MS = 60_000;
/** A revocation is watched this long (event time); after that the incident is the revoker's. */
const REVOKED_WATCH_MS = 3_600_000;
/** Clock skew between issuer and gateway always allowed. */
const EXPIRY_SKEW_MS = 5 * 60_000;

/** A credential used after its `expires_at`, or after Warden revoked it. */
export const credentialLifetimeDetector: Detector = (input) => {
  const { event, revokedAtMs } = input;
  if (
    revokedAtMs !== undefined &&
    event.time_ms > revokedAtMs + REVOCATION_GRACE_MS &&
    event.time_ms - revokedAtMs <= REVOKED_WATCH_MS &&
    flagOnce(input, "revoked", event.credential.id, STATE_CAPS.flagged)
  )
    return {
      detector: "credential_lifetime",
      bits: REVOKED_BITS,
      techniques: ["T1550"],
      summary: `credential ${event.credential.id} used ${formatCount((event.time_ms - revokedAtMs) / 1000)} s after Warden revoked it; no use expected`,
      observed: event.time,
      expected: `before ${new Date(revokedAtMs).toISOString()}`,
    };
  const expires = event.credential.expires_at;
  if (expires === undefined || event.outcome === "denied") return undefined;
  const expiresMs = Date.parse(expires);
  if (!(event.time_ms > expiresMs + EXPIRY_SKEW_MS)) return undefined;
  return {
    detector: "credential_lifetime",
    bits: EXPIRED_BITS,
    techniques: ["T1550"],
    summary: `credential ${event.credential.id} accepted ${formatCount((event.time_ms - expiresMs) / 60_000)} min after it expired at ${expires}`,
    observed: event.time,
    expected: `before ${expires}`,
  };
};
