import { CATALOGUE_VERSION, matchCatalogue } from "../catalogue.js";
import { noveltyBits, type Novelty } from "../evidence.js";
import { sight } from "../seen.js";
import type { Detector, DetectorInput } from "./types.js";

/** A denied attempt is half the evidence of a change that went through. */
const DENIED_SHARE = 0.5;

/** What the agent's and its peer group's histories say of one catalogued action. */
interface History {
  /** Some history holds the action: the identity is doing its job. */
  readonly excused: boolean;
  /** Bits when no history excuses it; undefined when only the catalogue can judge. */
  readonly bits: number | undefined;
  readonly status: Novelty | undefined;
  readonly sentence: string;
}

/**
 * Only an agent's own or its peer group's history may excuse a catalogued change: a tenant's
 * baseline mixes every kind of identity, and an identity without a declared kind has no peer
 * group (the "" group is every kind-less key), so both count as no baseline. A vocabulary that
 * lists the action excuses it; one truncated below it (the top-K of an infrastructure role with
 * more distinct calls than K) cannot say the action was never made, so it is judged at the
 * mass outside the listed values ("rare"), not at the catalogue's bits for a never-made change.
 */
function historyOf(input: DetectorInput, action: string): History {
  const { baseline, state } = input;
  const hasKind = state.agentKind !== "";
  const usable =
    baseline !== undefined &&
    (baseline.level === "agent" || (baseline.level === "peer" && hasKind));
  if (!usable)
    return {
      excused: false,
      bits: undefined,
      status: undefined,
      sentence: "no agent or peer baseline",
    };
  const own = noveltyBits(baseline.model.vocabulary.actions, action);
  if (own.status === "seen")
    return { excused: true, bits: 0, status: "seen", sentence: "" };
  const peer =
    baseline.level === "agent" && hasKind
      ? input.baselines.get(state.baselineKeys.peer)
      : undefined;
  const theirs = peer?.trusted
    ? noveltyBits(peer.vocabulary.actions, action)
    : undefined;
  if (theirs?.status === "seen")
    return { excused: true, bits: 0, status: "seen", sentence: "" };
  // Tempered as novelty is: the weaker of the two histories' evidence.
  const best = theirs !== undefined && theirs.bits < own.bits ? theirs : own;
  const whose = best === own ? baseline.level : "peer";
  const actions = (best === own ? baseline.model : peer)?.vocabulary.actions;
  return {
    excused: false,
    bits: best.bits,
    status: best.status,
    sentence:
      best.status === "rare"
        ? `not among the ${whose} baseline's top ${actions?.top.length ?? 0} of ${actions?.distinct ?? 0} actions`
        : `the ${whose} baseline never did it`,
  };
}

/**
 * Day-0 control-plane and identity changes (catalogue.ts): judged with or without a baseline.
 * An identity whose own (or peer group's) history already holds this very action is doing its
 * job (an infrastructure-as-code key creating roles); otherwise the entry's bits, or the
 * action's novelty in the history when that is stronger. Each action once per agent: the
 * catalogued actions an agent (and its peer group) made are kept in the seen-sets memory
 * (seen.ts), which outlives idle agent state, so a role deploying every few hours is judged at
 * its first change, not at every job.
 */
export const controlPlaneDetector: Detector = (input) => {
  const { event } = input;
  const name = event.action.name;
  const entry = matchCatalogue(name);
  if (!entry) return undefined;
  const hasKind = input.state.agentKind !== "";
  const peerMade = hasKind
    ? sight(input.seen("peer"), "control", name).known
    : false;
  if (sight(input.seen("agent"), "control", name).known) return undefined;
  const history = historyOf(input, name);
  if (history.excused) return undefined;
  // The peer group's memory (longer than its baseline's top-K) excuses only beside a trusted
  // peer baseline: a group still learning says nothing yet.
  const peer = hasKind
    ? input.baselines.get(input.state.baselineKeys.peer)
    : undefined;
  if (peerMade && peer?.trusted) return undefined;
  const share = event.outcome === "success" ? 1 : DENIED_SHARE;
  const evidence =
    history.status === "rare"
      ? (history.bits ?? 0)
      : Math.max(entry.bits, history.bits ?? 0);
  if (!(evidence > 0)) return undefined;
  return {
    detector: "control_plane",
    bits: share * evidence,
    impact: entry.impact,
    techniques: entry.attack,
    summary: `${name} ${entry.what} (ATT&CK ${entry.attack.join(", ")}; catalogue ${CATALOGUE_VERSION} ${entry.id})${event.outcome === "success" ? "" : `, ${event.outcome}`}; ${history.sentence}`,
    observed: name,
    expected: "no control-plane change",
  };
};
