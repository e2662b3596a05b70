import { agentBaselineKey, type Vocabulary } from "@warden/shared";
import { MINUTE_MS, MINUTES_PER_HOUR, STATE_CAPS } from "../agent-state.js";
import { forgetBefore, rememberBounded } from "../bounded.js";
import { sumRing } from "../ring.js";
import { noveltyBits, poissonBits } from "../evidence.js";
import {
  flagOnce,
  formatCount,
  temperedNovelty,
  vocabularyStatus,
  type Detector,
  type DetectorInput,
  type DetectorResult,
} from "./types.js";

const PRIVILEGED_VERBS: ReadonlySet<string> = new Set(["admin", "delegate"]);
const PRIVILEGED_SCOPE =
  /admin|root|owner|superuser|\*|:all\b|full[_-]?access/i;
/** A new privileged scope is as surprising as its novelty, plus this much for what it grants. */
const PRIVILEGED_SCOPE_BITS = 4;

/**
 * What the baseline says of the value: never used ("new"), or only not among the values a
 * truncated vocabulary lists ("rare": it may be one of the unlisted ones, and the bits say so).
 */
function novelActionSentence(
  what: string,
  status: "seen" | "new" | "rare",
  level: string,
  vocabulary: Vocabulary,
): string {
  const kind = what.startsWith("verb ") ? "verbs" : "actions";
  return status === "rare"
    ? `rare use of ${what}: not among the ${level} baseline's top ${vocabulary.top.length} of ${vocabulary.distinct} ${kind}`
    : `first use of ${what}; the ${level} baseline has ${vocabulary.distinct} ${kind} and never this one`;
}

/** A tool / operation or a (non-privileged) verb the agent never used. */
export const novelActionDetector: Detector = (input) => {
  const { event, baseline } = input;
  if (!baseline) return undefined;
  const vocabulary = baseline.model.vocabulary;
  const verb = event.action.verb;
  const byVerb = PRIVILEGED_VERBS.has(verb)
    ? undefined
    : temperedNovelty(input, "verbs", verb);
  const byAction = temperedNovelty(input, "actions", event.action.name);
  const newVerb = byVerb !== undefined && byVerb.status !== "seen";
  if (!newVerb && byAction.status === "seen") return undefined;
  const what = newVerb ? `verb ${verb}` : `action ${event.action.name}`;
  if (!flagOnce(input, "action", what, STATE_CAPS.flagged)) return undefined;
  // A new verb comes with a new action: one fact, the stronger counts.
  const bits = Math.max(newVerb ? (byVerb?.bits ?? 0) : 0, byAction.bits);
  if (!(bits > 0)) return undefined;
  return {
    detector: "novel_action",
    bits,
    summary: novelActionSentence(
      what,
      newVerb ? (byVerb?.status ?? "new") : byAction.status,
      baseline.level,
      newVerb ? vocabulary.verbs : vocabulary.actions,
    ),
    observed: what,
    expected: vocabulary.actions.top.map(([value]) => value).join(", "),
  };
};

/** Admin / delegate verbs, or credential scopes, beyond the baseline. */
export const privilegeEscalationDetector: Detector = (input) => {
  const { event, baseline } = input;
  if (!baseline) return undefined;
  const vocabulary = baseline.model.vocabulary;
  let best: DetectorResult | undefined;
  const verb = event.action.verb;
  if (PRIVILEGED_VERBS.has(verb)) {
    const novelty = temperedNovelty(input, "verbs", verb);
    if (
      novelty.status !== "seen" &&
      novelty.bits > 0 &&
      flagOnce(input, "verb", verb, STATE_CAPS.flagged)
    )
      best = {
        detector: "privilege_escalation",
        bits: novelty.bits,
        summary: `first ${verb} call (${event.action.name}); the ${baseline.level} baseline's verbs are ${vocabulary.verbs.top.map(([v]) => v).join(", ") || "none"}`,
        observed: verb,
        expected: vocabulary.verbs.top.map(([v]) => v).join(", "),
      };
  }
  for (const scope of event.credential.scopes ?? []) {
    const novelty = temperedNovelty(input, "scopes", scope);
    if (novelty.status === "seen") continue;
    const bits =
      novelty.bits + (PRIVILEGED_SCOPE.test(scope) ? PRIVILEGED_SCOPE_BITS : 0);
    if (bits <= (best?.bits ?? 0)) continue;
    if (!flagOnce(input, "scope", scope, STATE_CAPS.flagged)) continue;
    best = {
      detector: "privilege_escalation",
      bits,
      summary: `credential ${event.credential.id} carries scope ${scope}, beyond the ${baseline.level} baseline's ${vocabulary.scopes.distinct} scopes`,
      observed: scope,
      expected: vocabulary.scopes.top.map(([s]) => s).join(", "),
    };
  }
  return best;
};

/** New source IPs per hour always expected (roaming, a new runner, a NAT pool). */
const NEW_IPS_MIN_RATE = 0.5;
/** Without a baseline, this many new IPs an hour are expected. */
const NEW_IPS_COLD_RATE = 4;
/** Each agent id beyond the first that uses one credential: credentials are issued per agent. */
const SHARED_CREDENTIAL_BITS = 12;

/**
 * One credential from many source IPs outside the baseline within an hour (Poisson surprise
 * given how many distinct addresses the history met per active hour), or used by several agent
 * ids within an hour.
 */
export const credentialMisuseDetector: Detector = (input) => {
  const { event, state, baseline, credentialAgents } = input;
  const credential = event.credential.id;
  let best: DetectorResult | undefined;
  const ip = event.source?.ip;
  if (ip !== undefined) {
    const known = baseline
      ? vocabularyStatus(baseline.model.vocabulary.sourceIps, ip) === "seen"
      : false;
    if (!known)
      rememberBounded(
        (state.newSourceIps ??= new Map<string, number>()),
        ip,
        event.time_ms,
        STATE_CAPS.sourceIps,
      );
    const cutoff = event.time_ms - MINUTES_PER_HOUR * MINUTE_MS;
    const remembered = state.newSourceIps;
    if (remembered) {
      forgetBefore(remembered, cutoff);
      // Addresses remembered as new under an earlier baseline (the peer group's, before the
      // agent's own was trusted) that the current one knows are not new any more.
      const vocabulary = baseline?.model.vocabulary.sourceIps;
      if (vocabulary && remembered.size > 1)
        for (const address of remembered.keys())
          if (vocabularyStatus(vocabulary, address) === "seen")
            remembered.delete(address);
      if (remembered.size === 0) state.newSourceIps = undefined;
    }
    const newIps = state.newSourceIps?.size ?? 0;
    const ips = baseline?.model.vocabulary.sourceIps;
    // New addresses expected this hour: the history's chance that a call comes from an address
    // it had not met (Good–Turing: 2^−novelty bits of a value not in it), times the calls made.
    // Runners on ephemeral addresses met many once, so they expect many; a fixed workload none.
    if (newIps > 0) {
      const perHour = ips
        ? Math.max(
            NEW_IPS_MIN_RATE,
            Math.pow(2, -noveltyBits(ips, "\u0000").bits) *
              sumRing(
                state.cells,
                input.layout.callsPerMinute,
                state.minuteHead,
                MINUTES_PER_HOUR,
              ),
          )
        : NEW_IPS_COLD_RATE;
      const bits = poissonBits(newIps, perHour);
      if (bits >= 1)
        best = {
          detector: "credential_misuse",
          bits,
          summary: `credential ${credential} used from ${formatCount(newIps)} source IPs ${baseline ? `outside the ${baseline.level} baseline's most frequent` : "with no baseline"} in the last hour; ${formatCount(perHour)} expected`,
          observed: newIps,
          expected: Math.round(perHour * 10) / 10,
        };
    }
  }
  const shared =
    credentialAgents < 2 ? 0 : SHARED_CREDENTIAL_BITS * (credentialAgents - 1);
  if (shared > (best?.bits ?? 0))
    best = {
      detector: "credential_misuse",
      bits: shared,
      summary: `credential ${credential} used by ${formatCount(credentialAgents)} agent ids in the last hour; one expected`,
      observed: credentialAgents,
      expected: 1,
    };
  return best;
};

/** The network of an address: its /24 (IPv4) or /48 (IPv6). */
export function networkOf(ip: string): string {
  if (ip.includes(":")) return ip.split(":").slice(0, 3).join(":");
  const dot = ip.lastIndexOf(".");
  return dot > 0 ? ip.slice(0, dot) : ip;
}

const networkSets = new WeakMap<Vocabulary, ReadonlySet<string>>();

/** The networks of a vocabulary of addresses, memoised per vocabulary (baselines are immutable). */
function networksOf(ips: Vocabulary): ReadonlySet<string> {
  let networks = networkSets.get(ips);
  if (!networks) {
    networks = new Set(ips.top.map(([address]) => networkOf(address)));
    networkSets.set(ips, networks);
  }
  return networks;
}

/** RFC 1918 / unique-local addresses: an organisation's own address plan. */
function isPrivate(ip: string): boolean {
  if (ip.includes(":")) return /^f[cd]/i.test(ip);
  const [a, b] = ip.split(".").map(Number);
  return (
    a === 10 ||
    (a === 172 && b !== undefined && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

/** Stakes of a credential used outside its workload's private address plan (risk.ts). */
const LEFT_PLAN_IMPACT = 6;

function privateNetwork(network: string): boolean {
  return isPrivate(network.includes(":") ? network : `${network}.1`);
}

/** Minutes within which use from the usual network and a new one means two users. */
const CONCURRENT_MINUTES = 60;

/**
 * Credential context: a call from a network the agent's history never used, when that history
 * is confined to a few networks (a workload's credential, bound to where the workload runs).
 * Its surprise is Good–Turing novelty over the history's networks; use from the usual network
 * within minutes of it (two places at once: impossible travel) doubles it.
 */
export const credentialContextDetector: Detector = (input) => {
  const { event, state, baseline } = input;
  const ip = event.source?.ip;
  if (!baseline || ip === undefined) return undefined;
  const ips = baseline.model.vocabulary.sourceIps;
  // A truncated list of addresses (a peer group's, a NAT pool) says nothing about networks.
  if (ips.distinct > ips.top.length || ips.total === 0) return undefined;
  const network = networkOf(ip);
  const networks = networksOf(ips);
  const seenNetworks = networks.size;
  const sameNetwork = networks.has(network);
  if (sameNetwork) {
    state.usualNetworkMs = event.time_ms;
    return undefined;
  }
  // Another subnet of the same private address plan (a redeployment) is a weaker sign than a
  // network outside it: the credential left the workload's environment.
  const nearby = isPrivate(ip) && [...networks].some(privateNetwork);
  if (!flagOnce(input, "network", network, STATE_CAPS.flagged))
    return undefined;
  // Good–Turing over networks: each network's first use is a "new" event of the history.
  let bits = -Math.log2((seenNetworks + 1) / (ips.total + 2));
  // A public address for a credential whose every call came from private ones: the address
  // class itself is new (never met in the history: Good–Turing with no class seen once).
  const leftPlan = !isPrivate(ip) && [...networks].every(privateNetwork);
  if (leftPlan) bits = Math.max(bits, Math.log2(ips.total + 2));
  const concurrent =
    state.usualNetworkMs > 0 &&
    event.time_ms - state.usualNetworkMs <= CONCURRENT_MINUTES * MINUTE_MS;
  if (nearby) bits /= 2;
  else if (concurrent) bits *= 2;
  if (!(bits >= 1)) return undefined;
  return {
    detector: "credential_context",
    bits,
    // A workload's credential outside its own address plan is a stolen credential's mark:
    // once the evidence steps up, the stakes take it to revoke.
    ...(leftPlan
      ? { impact: LEFT_PLAN_IMPACT, techniques: ["T1552.005", "T1078.004"] }
      : {}),
    summary: `credential ${event.credential.id} used from network ${network}, outside the ${formatCount(seenNetworks)} networks of the ${baseline.level} baseline's ${formatCount(ips.total)} calls${nearby ? " (same private address plan)" : ""}${leftPlan ? ", a public address for a credential only ever used from private ones" : ""}${!nearby && concurrent ? `, ${CONCURRENT_MINUTES} min or less after use from a usual one` : ""}`,
    observed: network,
    expected: [...networks].join(", "),
  };
};

/** Without a baseline, a chain beyond the absolute limit is worth an alert. */
const FALLBACK_DEPTH_BITS = 12;
/** Each level beyond the deepest chain of the history after the first (worth 1/(n+1)). */
const EXTRA_LEVEL_BITS = 4;

/**
 * A delegated call that reaches data its chain's root never touches (a sub-agent doing what
 * its originator could not: the root's agent baseline has no call at this sensitivity), a chain
 * deeper than the baseline's, or a parent agent never seen above this one.
 */
export const delegationAnomalyDetector: Detector = (input) => {
  const { event, baseline, limits } = input;
  const depth = event.chain_depth;
  const chain = event.delegation.join(" → ");
  const reach = rootReach(input);
  if (!baseline) {
    if (depth <= limits.fallbackMaxChainDepth) return reach;
    return strongest(reach, {
      detector: "delegation_anomaly",
      bits: FALLBACK_DEPTH_BITS,
      summary: `delegation chain of depth ${depth} (${chain}); the absolute limit is ${limits.fallbackMaxChainDepth}`,
      observed: depth,
      expected: limits.fallbackMaxChainDepth,
    });
  }
  const deepest = Math.max(1, baseline.model.maxChainDepth);
  if (depth > deepest)
    return strongest(reach, {
      detector: "delegation_anomaly",
      bits:
        Math.log2(baseline.model.history.events + 2) +
        EXTRA_LEVEL_BITS * (depth - deepest - 1),
      summary: `delegation chain of depth ${depth} (${chain}); the ${baseline.level} baseline's deepest is ${deepest}`,
      observed: depth,
      expected: deepest,
    });
  const parent = event.delegation[event.delegation.length - 2];
  if (parent === undefined) return reach;
  const novelty = temperedNovelty(input, "delegationParents", parent);
  if (
    novelty.status !== "new" ||
    !flagOnce(input, "parent", parent, STATE_CAPS.flagged)
  )
    return reach;
  return strongest(reach, {
    detector: "delegation_anomaly",
    bits: novelty.bits,
    summary: `delegated by ${parent}, a parent the ${baseline.level} baseline never saw (${chain})`,
    observed: parent,
    expected: baseline.model.vocabulary.delegationParents.top
      .map(([p]) => p)
      .join(", "),
  });
};

function strongest(
  a: DetectorResult | undefined,
  b: DetectorResult,
): DetectorResult {
  return a && a.bits >= b.bits ? a : b;
}

/** Sensitivities a delegated call reaching beyond its root is judged at. */
const ROOT_REACH_SENSITIVITIES: ReadonlySet<string> = new Set([
  "restricted",
  "confidential",
]);
/** Kinds of data reached beyond the root that still count together (the incident's span). */
const REACH_MEMORY_MS = MINUTES_PER_HOUR * MINUTE_MS;
const REACH_FLAG = "reach:";

/**
 * A delegated call reaching data at a sensitivity its chain's root never touched. The root's
 * own history is the reference, trusted or not: a vocabulary's Good–Turing novelty already
 * says as little as a short history can (log₂ of its calls), and the root's history is the one
 * that neither a peer group's nor the sub-agent's own (both maybe learned from an earlier
 * abuse) can teach that such data is normal. Each further kind of such data the chain reaches
 * within the hour is one more fact of the same size, so the result is their running total
 * (the detector keeps its maximum: the total is what it re-measures).
 */
function rootReach(input: DetectorInput): DetectorResult | undefined {
  const { event } = input;
  const sensitivity = event.resource?.sensitivity;
  if (
    event.chain_depth < 2 ||
    sensitivity === undefined ||
    !ROOT_REACH_SENSITIVITIES.has(sensitivity) ||
    event.chain_root === event.agent.id
  )
    return undefined;
  const root = input.baselines.get(
    agentBaselineKey(event.tenant, event.chain_root),
  );
  if (!root) return undefined;
  const novelty = noveltyBits(root.vocabulary.sensitivities, sensitivity);
  if (novelty.status === "seen" || !(novelty.bits > 0)) return undefined;
  const type = event.resource?.type ?? "resource";
  if (!flagOnce(input, "reach", `${sensitivity}:${type}`, STATE_CAPS.flagged))
    return undefined;
  const kinds = reachedKinds(input, sensitivity);
  return {
    detector: "delegation_anomaly",
    bits: novelty.bits * kinds,
    summary: `${event.agent.id} reaches ${sensitivity} data (${type}${kinds > 1 ? `, ${formatCount(kinds)} kinds of it within the hour` : ""}) through a chain of depth ${event.chain_depth} (${event.delegation.join(" → ")}); its root ${event.chain_root} never touched ${sensitivity} data in ${formatCount(root.history.events)} calls`,
    observed: kinds > 1 ? `${sensitivity} × ${kinds}` : sensitivity,
    expected: root.vocabulary.sensitivities.top.map(([v]) => v).join(", "),
  };
}

/** Kinds of `sensitivity` data the agent reached beyond its root within the hour (flags). */
function reachedKinds(input: DetectorInput, sensitivity: string): number {
  const since = input.event.time_ms - REACH_MEMORY_MS;
  const prefix = `${REACH_FLAG}${sensitivity}:`;
  let kinds = 0;
  for (const [key, atMs] of input.state.flagged ?? [])
    if (atMs >= since && key.startsWith(prefix)) kinds++;
  return Math.max(1, kinds);
}
