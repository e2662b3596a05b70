import { MINUTE_MS, MINUTES_PER_HOUR, STATE_CAPS } from "../agent-state.js";
import { forgetBefore, rememberBounded } from "../bounded.js";
import {
  clamp01,
  flagOnce,
  formatCount,
  vocabularyStatus,
  type Detector,
  type DetectorResult,
} from "./types.js";

const RARE_FACTOR = 0.5;
const NOVEL_ACTION_SCORE = 0.4;
const PRIVILEGED_VERBS: ReadonlySet<string> = new Set(["admin", "delegate"]);
const PRIVILEGED_VERB_SCORE = 0.85;
const PRIVILEGED_SCOPE =
  /admin|root|owner|superuser|\*|:all\b|full[_-]?access/i;
const PRIVILEGED_SCOPE_SCORE = 0.8;
const NEW_SCOPE_SCORE = 0.3;

/** A tool / operation or a (non-privileged) verb the agent never used. */
export const novelActionDetector: Detector = (input) => {
  const { event, baseline } = input;
  if (!baseline) return undefined;
  const vocabulary = baseline.model.vocabulary;
  const verb = event.action.verb;
  const verbStatus = PRIVILEGED_VERBS.has(verb)
    ? "seen"
    : vocabularyStatus(vocabulary.verbs, verb);
  const actionStatus = vocabularyStatus(vocabulary.actions, event.action.name);
  const status = verbStatus !== "seen" ? verbStatus : actionStatus;
  if (status === "seen") return undefined;
  const what =
    verbStatus !== "seen" ? `verb ${verb}` : `action ${event.action.name}`;
  if (!flagOnce(input, "action", what, STATE_CAPS.flagged)) return undefined;
  return {
    detector: "novel_action",
    score: NOVEL_ACTION_SCORE * (status === "new" ? 1 : RARE_FACTOR),
    summary: `first use of ${what}; the ${baseline.level} baseline has ${vocabulary.actions.distinct} actions and never this one`,
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
    const status = vocabularyStatus(vocabulary.verbs, verb);
    if (status !== "seen" && flagOnce(input, "verb", verb, STATE_CAPS.flagged))
      best = {
        detector: "privilege_escalation",
        score: PRIVILEGED_VERB_SCORE * (status === "new" ? 1 : RARE_FACTOR),
        summary: `first ${verb} call (${event.action.name}); the ${baseline.level} baseline's verbs are ${vocabulary.verbs.top.map(([v]) => v).join(", ") || "none"}`,
        observed: verb,
        expected: vocabulary.verbs.top.map(([v]) => v).join(", "),
      };
  }
  for (const scope of event.credential.scopes ?? []) {
    const status = vocabularyStatus(vocabulary.scopes, scope);
    if (status === "seen") continue;
    const base = PRIVILEGED_SCOPE.test(scope)
      ? PRIVILEGED_SCOPE_SCORE
      : NEW_SCOPE_SCORE;
    const score = base * (status === "new" ? 1 : RARE_FACTOR);
    if (score <= (best?.score ?? 0)) continue;
    if (!flagOnce(input, "scope", scope, STATE_CAPS.flagged)) continue;
    best = {
      detector: "privilege_escalation",
      score,
      summary: `credential ${event.credential.id} carries scope ${scope}, beyond the ${baseline.level} baseline's ${vocabulary.scopes.distinct} scopes`,
      observed: scope,
      expected: vocabulary.scopes.top.map(([s]) => s).join(", "),
    };
  }
  return best;
};

/** Source IPs outside the baseline allowed per hour before it counts (more without a baseline). */
const NEW_IPS_ALLOWED = 4;
const NEW_IPS_ALLOWED_COLD = 16;
const NEW_IPS_FULL_EXCESS = 4;
/** One credential, two agent ids: credentials are issued per agent, so this alone alerts. */
const SHARED_CREDENTIAL_SCORE = 0.7;
const SHARED_CREDENTIAL_STEP = 0.15;

/** One credential from many new source IPs, or used by several agent ids, within an hour. */
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
        state.newSourceIps,
        ip,
        event.time_ms,
        STATE_CAPS.sourceIps,
      );
    const cutoff = event.time_ms - MINUTES_PER_HOUR * MINUTE_MS;
    const newIps = forgetBefore(state.newSourceIps, cutoff);
    // A truncated vocabulary (a peer group's or tenant's hundreds of addresses) cannot say an
    // address is new, only that it is not among the most frequent: the cold allowance applies.
    const complete =
      baseline !== undefined &&
      baseline.model.vocabulary.sourceIps.distinct <=
        baseline.model.vocabulary.sourceIps.top.length;
    const allowed = complete ? NEW_IPS_ALLOWED : NEW_IPS_ALLOWED_COLD;
    const score = clamp01((newIps - allowed) / NEW_IPS_FULL_EXCESS);
    if (score > 0)
      best = {
        detector: "credential_misuse",
        score,
        summary: `credential ${credential} used from ${formatCount(newIps)} source IPs ${baseline ? `outside the ${baseline.level} baseline's most frequent` : "with no baseline"} in the last hour; ${allowed} expected at most`,
        observed: newIps,
        expected: allowed,
      };
  }
  const shared =
    credentialAgents < 2
      ? 0
      : clamp01(
          SHARED_CREDENTIAL_SCORE +
            SHARED_CREDENTIAL_STEP * (credentialAgents - 2),
        );
  if (shared > (best?.score ?? 0))
    best = {
      detector: "credential_misuse",
      score: shared,
      summary: `credential ${credential} used by ${formatCount(credentialAgents)} agent ids in the last hour; one expected`,
      observed: credentialAgents,
      expected: 1,
    };
  return best;
};

const NEW_PARENT_SCORE = 0.35;
const FALLBACK_DEPTH_SCORE = 0.6;

/** A delegation chain deeper than the baseline's, or a parent agent never seen above this one. */
export const delegationAnomalyDetector: Detector = (input) => {
  const { event, baseline, limits } = input;
  const depth = event.chain_depth;
  const chain = event.delegation.join(" → ");
  if (!baseline) {
    if (depth <= limits.fallbackMaxChainDepth) return undefined;
    return {
      detector: "delegation_anomaly",
      score: FALLBACK_DEPTH_SCORE,
      summary: `delegation chain of depth ${depth} (${chain}); the absolute limit is ${limits.fallbackMaxChainDepth}`,
      observed: depth,
      expected: limits.fallbackMaxChainDepth,
    };
  }
  const deepest = Math.max(1, baseline.model.maxChainDepth);
  if (depth > deepest)
    return {
      detector: "delegation_anomaly",
      score: clamp01((depth - deepest) / 2),
      summary: `delegation chain of depth ${depth} (${chain}); the ${baseline.level} baseline's deepest is ${deepest}`,
      observed: depth,
      expected: deepest,
    };
  const parent = event.delegation[event.delegation.length - 2];
  if (parent === undefined) return undefined;
  const status = vocabularyStatus(
    baseline.model.vocabulary.delegationParents,
    parent,
  );
  if (
    status !== "new" ||
    !flagOnce(input, "parent", parent, STATE_CAPS.flagged)
  )
    return undefined;
  return {
    detector: "delegation_anomaly",
    score: NEW_PARENT_SCORE,
    summary: `delegated by ${parent}, a parent the ${baseline.level} baseline never saw (${chain})`,
    observed: parent,
    expected: baseline.model.vocabulary.delegationParents.top
      .map(([p]) => p)
      .join(", "),
  };
};
