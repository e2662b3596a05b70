import type { BaselineModel, CanonicalEvent, DecisionV1 } from "@warden/shared";
import { createScoringEngine, type EngineOptions } from "./engine.js";
import type { Policy } from "./policy.js";

/**
 * What-if (issue 19, console page 5): the same events scored twice by the detector's own
 * engine, once under the policy in force and once under a proposed one, and the decisions
 * compared. No I/O: the host reads the stored events and the baselines and bounds the run.
 *
 * Both runs see the same baselines, so every difference is the policy's. The host gives the
 * models each event was scored against (the refresh of its tick, before it is observed), not
 * today's, which would hold the window's own traffic and let it excuse itself.
 * Decisions are matched per agent: on the same trigger event, else the nearest in event time
 * within `matchWindowMs` (a policy change often moves a decision by a few events, and the
 * credential and delegation detectors carry one agent's revocation over to its peers). One
 * that only the proposed policy makes "appears", one that only the current policy makes
 * "disappears", and a pair with different actions "changes".
 */
export interface WhatIfOptions {
  readonly current: Policy;
  readonly proposed: Policy;
  readonly engine: Omit<EngineOptions, "policy">;
  /** Most entries kept per list; the counts stay exact. */
  readonly maxListed: number;
  /** Decisions of one agent this close in event time are the same decision moved. */
  readonly matchWindowMs: number;
}

export interface WhatIfChange {
  readonly current: DecisionV1;
  readonly proposed: DecisionV1;
}

export interface WhatIfResult {
  readonly events: number;
  readonly decisions: { readonly current: number; readonly proposed: number };
  readonly counts: {
    readonly appeared: number;
    readonly disappeared: number;
    readonly changed: number;
  };
  readonly appeared: readonly DecisionV1[];
  readonly disappeared: readonly DecisionV1[];
  readonly changed: readonly WhatIfChange[];
}

/** One what-if run: the host feeds baselines and events (in event-time order), then asks. */
export interface WhatIf {
  /** A baseline by KV key (shared/src/baseline-model/keys.ts), the same for both runs. */
  setBaseline(key: string, model: BaselineModel): void;
  /** One stored event (already through the ingest's checks), scored under both policies. */
  observe(event: CanonicalEvent): void;
  result(): WhatIfResult;
}

const agentKey = (decision: DecisionV1): string =>
  `${decision.tenant ?? ""}\u0000${decision.agent_id}`;

interface Compared {
  readonly appeared: DecisionV1[];
  readonly disappeared: DecisionV1[];
  readonly changed: WhatIfChange[];
}

/** One agent's decisions under both policies (each in event time), paired as documented above. */
function compareAgent(
  before: readonly DecisionV1[],
  after: readonly DecisionV1[],
  windowMs: number,
  into: Compared,
): void {
  const pair = (was: DecisionV1, would: DecisionV1) => {
    if (was.action !== would.action)
      into.changed.push({ current: was, proposed: would });
  };
  const byTrigger = new Map(
    before.map((decision) => [decision.trigger_event_id, decision]),
  );
  const left: DecisionV1[] = [];
  const taken = new Set<DecisionV1>();
  for (const would of after) {
    const was = byTrigger.get(would.trigger_event_id);
    if (was && !taken.has(was)) {
      taken.add(was);
      pair(was, would);
    } else left.push(would);
  }
  const rest = before.filter((decision) => !taken.has(decision));
  let next = 0;
  for (const would of left) {
    const at = Date.parse(would.at);
    while (next < rest.length && Date.parse(rest[next]!.at) < at - windowMs)
      into.disappeared.push(rest[next++]!);
    const was = rest[next];
    if (was && Math.abs(Date.parse(was.at) - at) <= windowMs) {
      next++;
      pair(was, would);
    } else into.appeared.push(would);
  }
  into.disappeared.push(...rest.slice(next));
}

export function createWhatIf(options: WhatIfOptions): WhatIf {
  const current = createScoringEngine({
    ...options.engine,
    policy: options.current,
  });
  const proposed = createScoringEngine({
    ...options.engine,
    policy: options.proposed,
  });
  // Per agent, in event time (the engine decides in the order it is fed).
  const before = new Map<string, DecisionV1[]>();
  const after = new Map<string, DecisionV1[]>();
  const add = (into: Map<string, DecisionV1[]>, decision: DecisionV1) => {
    const key = agentKey(decision);
    const list = into.get(key);
    if (list) list.push(decision);
    else into.set(key, [decision]);
  };
  let decidedNow = 0;
  let decidedProposed = 0;
  let events = 0;
  return {
    setBaseline(key, model) {
      current.baselines.set(key, model);
      proposed.baselines.set(key, model);
    },
    observe(event) {
      events++;
      // Stamped with the event's own time, as replay does: the same input gives the same output.
      const was = current.observe(event, event.time).decision;
      const would = proposed.observe(event, event.time).decision;
      if (was) {
        add(before, was);
        decidedNow++;
      }
      if (would) {
        add(after, would);
        decidedProposed++;
      }
    },
    result() {
      const { appeared, disappeared, changed }: Compared = {
        appeared: [],
        disappeared: [],
        changed: [],
      };
      for (const key of new Set([...before.keys(), ...after.keys()]))
        compareAgent(
          before.get(key) ?? [],
          after.get(key) ?? [],
          options.matchWindowMs,
          { appeared, disappeared, changed },
        );
      const listed = <T>(items: T[]) => items.slice(0, options.maxListed);
      return {
        events,
        decisions: { current: decidedNow, proposed: decidedProposed },
        counts: {
          appeared: appeared.length,
          disappeared: disappeared.length,
          changed: changed.length,
        },
        appeared: listed(appeared),
        disappeared: listed(disappeared),
        changed: listed(changed),
      };
    },
  };
}
