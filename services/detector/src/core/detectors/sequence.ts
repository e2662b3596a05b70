import {
  AGENT_TRANSITION_SLOTS,
  createTransitionMemory,
  pairPrint,
  rarerShare,
  recordPair,
  type TransitionMemory,
} from "../transitions.js";
import {
  formatCount,
  vocabularyStatus,
  type Detector,
  type DetectorInput,
} from "./types.js";

/** Calls further apart than this are not one sequence (a session's steps follow closely). */
export const TRANSITION_WINDOW_MS = 10 * 60_000;
/** Transitions a history needs before its novelty says anything. */
const MIN_OWN_TRANSITIONS = 50;
const MIN_PEER_TRANSITIONS = 200;

/** Good–Turing: the chance that the next transition is one the memory never held. */
function newPairBits(uses: number, singletons: number): number {
  return Math.log2((uses + 2) / (singletons + 1));
}

interface Judgement {
  readonly bits: number;
  readonly ownUses: number;
  readonly peerUses: number;
  readonly peerCount: number;
}

/**
 * Surprise of a pair the agent never made: Good–Turing over its own transitions (at least 50 of
 * them), tempered by its peer group's — when the peers make it, the share of their transitions
 * that are at most as common; their Good–Turing otherwise.
 */
function judge(
  own: TransitionMemory,
  peer: TransitionMemory,
  print: number,
): Judgement | undefined {
  const ownUses = own.uses;
  const ownSingletons = own.singletons;
  const peerUses = peer.uses;
  const peerSingletons = peer.singletons;
  const ownCount = recordPair(own, print);
  const peerCount = recordPair(peer, print);
  // Without a history of its own an agent's every pair is new to it, and a peer group's pairs
  // change all at once when its software does: such an agent is left to the other detectors.
  if (ownCount > 0 || ownUses < MIN_OWN_TRANSITIONS) return undefined;
  let bits = newPairBits(ownUses, ownSingletons);
  if (peerUses >= MIN_PEER_TRANSITIONS)
    bits = Math.min(
      bits,
      peerCount > 0
        ? -Math.log2(rarerShare(peer, peerCount + 1))
        : newPairBits(peerUses, peerSingletons),
    );
  if (bits < 1) return undefined;
  return { bits, ownUses, peerUses, peerCount };
}

/**
 * Both actions are known: in the history's vocabulary and not reported new by novel_action
 * (its flag, `action:action <name>`, outlives the baseline refresh that adds a new action to
 * the vocabulary minutes later). A new action is one fact, already reported; the pairs it
 * forms with every other tool are not more facts.
 */
function familiar(input: DetectorInput, from: string, to: string): boolean {
  const { baseline, state } = input;
  if (!baseline || baseline.level === "tenant") return false;
  const actions = baseline.model.vocabulary.actions;
  const known = (name: string): boolean =>
    vocabularyStatus(actions, name) !== "new" &&
    state.flagged?.has(`action:action ${name}`) !== true;
  return known(from) && known(to);
}

/**
 * Transition novelty: this call's action following the previous one (within ten minutes) is a
 * sequence the agent never made, of actions it does know — the same tools in a new order (read
 * the customer table, then export, then send out). Each new pair is one fact; a pair into or
 * out of a new action is not reported (that action's novelty already is).
 */
export const transitionNoveltyDetector: Detector = (input) => {
  const { event, state } = input;
  const action = event.action.name;
  const previous = state.lastAction;
  state.lastAction = action;
  if (
    previous === undefined ||
    event.time_ms - state.priorMs > TRANSITION_WINDOW_MS
  )
    return undefined;
  const sets = input.seen();
  const own = (sets.transitions ??= createTransitionMemory(
    AGENT_TRANSITION_SLOTS,
  ));
  const judgement = judge(
    own,
    input.peerTransitions(),
    pairPrint(previous, action),
  );
  if (!judgement || !familiar(input, previous, action)) return undefined;
  const peers =
    judgement.peerUses >= MIN_PEER_TRANSITIONS
      ? judgement.peerCount > 0
        ? `its peer group made it ${formatCount(judgement.peerCount)} times in ${formatCount(judgement.peerUses)}`
        : `nor did its peer group in ${formatCount(judgement.peerUses)}`
      : "its peer group has too little history to say";
  return {
    detector: "transition_novelty",
    bits: judgement.bits,
    summary: `${previous} then ${action}: a sequence this agent never made in its ${formatCount(judgement.ownUses)} earlier transitions; ${peers}`,
    observed: `${previous} → ${action}`,
    expected: `one of its ${formatCount(own.held - 1)} known transitions`,
  };
};
