import { agentAt, type Population } from "./population.js";
import type { Generated } from "./generator.js";
import type { Episode } from "./scenario.js";

/**
 * Ground truth for detector evaluation: one record per planned attack or benign trap, with what
 * actually landed in the data. An attack's events are exactly those generated for it; a benign
 * trap's events are all of its agent's events inside the trap window (the trap *is* normal
 * behaviour that looks odd).
 */
export const LABEL_SCHEMA = "warden-sim-label/v1";
// Event ids listed per label at most; event_count is always exact.
export const MAX_LABEL_EVENT_IDS = 10_000;

export interface LabelRecord {
  readonly schema: typeof LABEL_SCHEMA;
  readonly id: string;
  readonly class: "attack" | "benign";
  readonly kind: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly agent_kind: string;
  readonly start: string;
  readonly end: string;
  readonly event_count: number;
  readonly first_event_time: string | null;
  readonly last_event_time: string | null;
  readonly credential_ids: readonly string[];
  readonly related_agent_ids: readonly string[];
  readonly source_ips: readonly string[];
  readonly event_ids: readonly string[];
  readonly event_ids_truncated: boolean;
}

interface Tally {
  count: number;
  firstMs: number;
  lastMs: number;
  readonly ids: string[];
  readonly credentials: Set<string>;
  readonly agents: Set<string>;
  readonly ips: Set<string>;
}

export interface LabelTracker {
  observe(generated: Generated): void;
  labels(): LabelRecord[];
}

export function createLabelTracker(
  population: Population,
  episodes: readonly Episode[],
): LabelTracker {
  const tallies = new Map<Episode, Tally>(
    episodes.map((episode) => [
      episode,
      {
        count: 0,
        firstMs: Infinity,
        lastMs: -Infinity,
        ids: [],
        credentials: new Set(),
        agents: new Set(),
        ips: new Set(),
      },
    ]),
  );
  const benignByAgent = new Map<number, Episode[]>();
  for (const episode of episodes)
    if (episode.class === "benign")
      benignByAgent.set(episode.agent, [
        ...(benignByAgent.get(episode.agent) ?? []),
        episode,
      ]);

  const record = (episode: Episode, generated: Generated): void => {
    const tally = tallies.get(episode);
    if (!tally) return;
    const { event, timeMs } = generated;
    tally.count += 1;
    tally.firstMs = Math.min(tally.firstMs, timeMs);
    tally.lastMs = Math.max(tally.lastMs, timeMs);
    if (tally.ids.length < MAX_LABEL_EVENT_IDS) tally.ids.push(event.event_id);
    tally.credentials.add(event.credential.id);
    tally.agents.add(event.agent.id);
    if (event.source?.ip !== undefined) tally.ips.add(event.source.ip);
  };

  return {
    observe(generated) {
      if (generated.episode?.class === "attack")
        record(generated.episode, generated);
      for (const episode of benignByAgent.get(generated.agent) ?? [])
        if (
          generated.timeMs >= episode.startMs &&
          generated.timeMs < episode.endMs
        )
          record(episode, generated);
    },
    labels() {
      return episodes.map((episode) => {
        const tally = tallies.get(episode);
        const agent = agentAt(population, episode.agent);
        const count = tally?.count ?? 0;
        return {
          schema: LABEL_SCHEMA,
          id: episode.id,
          class: episode.class,
          kind: episode.kind,
          tenant: agent.tenant,
          agent_id: agent.id,
          agent_kind: agent.kind.name,
          start: new Date(episode.startMs).toISOString(),
          end: new Date(episode.endMs).toISOString(),
          event_count: count,
          first_event_time:
            count > 0 && tally ? new Date(tally.firstMs).toISOString() : null,
          last_event_time:
            count > 0 && tally ? new Date(tally.lastMs).toISOString() : null,
          credential_ids: [...(tally?.credentials ?? [])].sort(),
          related_agent_ids: [...(tally?.agents ?? [])]
            .filter((id) => id !== agent.id)
            .sort(),
          source_ips: [...(tally?.ips ?? [])].sort(),
          event_ids: tally?.ids ?? [],
          event_ids_truncated: count > (tally?.ids.length ?? 0),
        };
      });
    },
  };
}
