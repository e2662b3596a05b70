// Builds the event of one arrival: an attack's own signature, or the agent's normal work.
import type { AuditEventV1 } from "@warden/shared";
import { attackEvent } from "./attack-events.js";
import {
  SOURCE,
  baseEvent,
  chooseAction,
  type EventContext,
} from "./normal-event.js";
import { agentAt } from "./population.js";
import { hashHex } from "./random.js";
import type { Episode } from "./scenario.js";

const DAY_MS = 86_400_000;

/** Builds the event of arrival number `sequence` (its id) at `timeMs`. */
export function buildEvent(
  context: EventContext,
  sequence: number,
  timeMs: number,
  agentIndex: number,
  source: number,
  episode: Episode | undefined,
): AuditEventV1 {
  const agent = agentAt(context.population, agentIndex);
  if (episode && episode.class === "attack")
    return attackEvent(context, sequence, timeMs, agent, episode);
  if (episode?.kind === "network_move") {
    const ip = episode.ips[sequence % episode.ips.length];
    return baseEvent(
      context,
      sequence,
      timeMs,
      agent,
      chooseAction(context.rng, agent.kind.actions),
      ip === undefined ? {} : { ip },
    );
  }
  const actions =
    source === SOURCE.burst ||
    episode?.kind === "hotfix_deploy" ||
    episode?.kind === "first_deploy"
      ? (agent.kind.bursts?.actions ?? agent.kind.actions)
      : source === SOURCE.run
        ? (agent.kind.run?.actions ?? agent.kind.actions)
        : agent.kind.actions;
  const event = baseEvent(
    context,
    sequence,
    timeMs,
    agent,
    chooseAction(context.rng, actions),
  );
  if (source === SOURCE.run)
    event.task_id = `run-${hashHex(context.population.seed, agent.index, Math.floor(timeMs / DAY_MS))}`;
  return event;
}
