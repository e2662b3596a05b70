import { STATE_CAPS } from "../agent-state.js";
import { CATALOGUE_VERSION, matchCatalogue } from "../catalogue.js";
import { flagOnce, temperedNovelty, type Detector } from "./types.js";

/** A denied attempt is half the evidence of a change that went through. */
const DENIED_SHARE = 0.5;

/**
 * Day-0 control-plane and identity changes (catalogue.ts): judged with or without a baseline.
 * An identity whose own (or peer group's) history already holds this very action is doing its
 * job (an infrastructure-as-code key creating roles); otherwise the entry's bits, or the
 * action's novelty in the history when that is stronger. Each action once per agent.
 */
export const controlPlaneDetector: Detector = (input) => {
  const { event, baseline } = input;
  const entry = matchCatalogue(event.action.name);
  if (!entry) return undefined;
  const novelty = baseline
    ? temperedNovelty(input, "actions", event.action.name)
    : undefined;
  if (novelty?.status === "seen") return undefined;
  if (!flagOnce(input, "control", event.action.name, STATE_CAPS.flagged))
    return undefined;
  const share = event.outcome === "success" ? 1 : DENIED_SHARE;
  const bits = share * Math.max(entry.bits, novelty?.bits ?? 0);
  const history = baseline
    ? `the ${baseline.level} baseline never did it`
    : "no baseline yet";
  return {
    detector: "control_plane",
    bits,
    impact: entry.impact,
    techniques: entry.attack,
    summary: `${event.action.name} ${entry.what} (ATT&CK ${entry.attack.join(", ")}; catalogue ${CATALOGUE_VERSION} ${entry.id})${event.outcome === "success" ? "" : `, ${event.outcome}`}; ${history}`,
    observed: event.action.name,
    expected: "no control-plane change",
  };
};
