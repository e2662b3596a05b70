import type { BaselineLevel, BaselineModel } from "@warden/shared";
import type { DetectorInput } from "./types.js";

/**
 * No baseline is not no judgement (issue 15 item 9). An identity without a history of its own
 * is judged by its peer group's (the tenant's agents of its kind): a new CI key may burst on its
 * first deploy when its peers do, and a key far beyond anything its peers do is still caught.
 * A young agent's own history has not yet met its rare busy moments (a first deploy, a first
 * month-end), so its peers' limits carry over, fading with the days of its own history. The
 * absolute limits apply only when there is no trusted peer group either.
 */

const DAY_MS = 86_400_000;
/** Days of its own history after which an agent's limits are its own alone. */
export const OWN_LIMITS_DAYS = 2;

/** Days a baseline's history spans (first to last call, not the window). */
export function historyDays(model: BaselineModel): number {
  return Math.max(
    0,
    (model.history.lastSeenMs - model.history.firstSeenMs) / DAY_MS,
  );
}

/** Weight of the peer group's limits for an agent with `days` of its own history, in [0, 1]. */
export function peerWeight(days: number): number {
  if (!(days > 0)) return 1;
  return Math.max(0, 1 - days / OWN_LIMITS_DAYS);
}

/** Where a limit came from, in the words of a decision's sentence. */
export type LimitSource = BaselineLevel | "young agent" | "absolute";

export interface Limit {
  readonly value: number;
  readonly source: LimitSource;
}

/** The trusted peer model of the agent, or undefined. */
function trustedPeer(input: DetectorInput): BaselineModel | undefined {
  const peer = input.baselines.get(input.state.baselineKeys.peer);
  return peer?.trusted ? peer : undefined;
}

/**
 * A limit measured on the agent's baseline (`measure`, e.g. its busiest minute): the agent's
 * own, raised toward its peer group's by peerWeight while its history is young; the resolved
 * peer or tenant baseline's when it has none; else the absolute limit. A peer group still
 * learning never lifts it: its busiest moments so far are whatever it met, attacks included
 * (a revoked runaway's minute would raise the bar for the next newcomer of its kind).
 */
export function limitFor(
  input: DetectorInput,
  measure: (model: BaselineModel) => number,
  absolute: number,
): Limit {
  const { baseline } = input;
  if (baseline?.level === "agent") {
    const own = measure(baseline.model);
    const peer = trustedPeer(input);
    const weight = peer ? peerWeight(historyDays(baseline.model)) : 0;
    if (!peer || weight === 0) return { value: own, source: "agent" };
    const theirs = measure(peer);
    if (!(theirs > own)) return { value: own, source: "agent" };
    return { value: own + weight * (theirs - own), source: "young agent" };
  }
  if (baseline)
    return { value: measure(baseline.model), source: baseline.level };
  return { value: absolute, source: "absolute" };
}

/**
 * Surprise of a young agent's observation, tempered by its peers': the agent's own bits
 * lowered toward its peer group's by peerWeight (an observation its peers make often is only as
 * surprising as it is among them while the agent's history is short). `bitsUnder` scores the
 * observation `value` under one model (a module-level function: no closure per event).
 */
export function youngAgentBits(
  input: DetectorInput,
  value: number,
  bitsUnder: (model: BaselineModel, value: number) => number,
): number {
  const { baseline } = input;
  if (!baseline) return 0;
  const own = bitsUnder(baseline.model, value);
  if (!(own > 0) || baseline.level !== "agent") return own;
  const weight = peerWeight(historyDays(baseline.model));
  if (weight === 0) return own;
  const peer = trustedPeer(input);
  if (!peer) return own;
  const theirs = bitsUnder(peer, value);
  return theirs < own ? own - weight * (own - theirs) : own;
}

/** "the agent baseline allows", "the peer group's limit is", … for a sentence. */
export function limitWords(source: LimitSource): string {
  switch (source) {
    case "agent":
      return "agent baseline allows";
    case "young agent":
      return `agent baseline, raised toward its peer group's (under ${OWN_LIMITS_DAYS} days of its own history), allows`;
    case "peer":
      return "peer baseline allows";
    case "tenant":
      return "tenant baseline allows";
    case "absolute":
      return "absolute limit is";
  }
}
