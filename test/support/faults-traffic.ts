import type { Kafka, Producer } from "kafkajs";
import { sleep } from "@warden/shared";
import { generateEvents, planSimulation } from "@warden/simulator";

/**
 * One round of audit traffic from the simulator's generator (`warden simulate`'s core): a
 * population with runaway loops, produced to `agent.audit.v1` as a gateway would (key = agent
 * id, idempotent producer, acks = all) at a fixed rate in wall time. Event times are the hour
 * before now: the detector works in event time, so a round of an hour's traffic takes seconds.
 *
 * Three changes to the generator's output, each for the accounting:
 * - every agent id gets the round's tag (`agent:r3-support-bot/17`), so no agent carries
 *   detector state or an open incident from one round into the next;
 * - a runaway loop is cut to its first `runawayKeepMs` (the burst rule fires within seconds;
 *   the 10–30 minutes the simulator plans would be thousands of events per loop);
 * - one event in `badEvery` gets `bytes_out: -1`, which ingest must dead-letter, so both
 *   places an event may end up in are exercised and counted.
 */
export interface RoundOptions {
  readonly round: number;
  readonly seed: number;
  readonly agents: number;
  readonly normalEvents: number;
  readonly runaways: number;
  readonly runawayKeepMs: number;
  readonly badEvery: number;
  readonly nowMs: number;
}

export interface RoundMessage {
  readonly key: string;
  readonly value: string;
  readonly eventId: string;
}

export interface Round {
  readonly messages: readonly RoundMessage[];
  /** Event ids that must reach ClickHouse. */
  readonly goodIds: readonly string[];
  /** Event ids ingest must dead-letter. */
  readonly badIds: readonly string[];
  /** The agents playing a runaway loop this round (tagged ids). */
  readonly runawayAgents: readonly string[];
  /** Index in `messages` of each runaway loop's first event, in order. */
  readonly runawayStarts: readonly number[];
}

const HOUR_MS = 3_600_000;
// The newest event is this far behind the wall clock, well inside ingest's future-skew limit.
const END_BEHIND_MS = 60_000;

export function buildRound(options: RoundOptions): Round {
  const plan = planSimulation({
    seed: options.seed,
    agents: options.agents,
    startMs: options.nowMs - END_BEHIND_MS - HOUR_MS,
    durationMs: HOUR_MS,
    targetEvents: options.normalEvents,
    attacks: [{ kind: "runaway_loop", count: options.runaways }],
    traps: [],
    learningFraction: 0.1,
  });
  const tag = `"agent:r${options.round}-`;
  const messages: RoundMessage[] = [];
  const goodIds: string[] = [];
  const badIds: string[] = [];
  const runawayAgents = new Set<string>();
  const runawayStarts: number[] = [];
  for (const generated of generateEvents(plan)) {
    const { episode, event } = generated;
    const runaway = episode?.kind === "runaway_loop";
    if (runaway && generated.timeMs >= episode.startMs + options.runawayKeepMs)
      continue;
    const bad = (messages.length + 1) % options.badEvery === 0;
    if (bad) event.bytes_out = -1;
    const value = JSON.stringify(event).replaceAll('"agent:', tag);
    const key = `agent:r${options.round}-${event.agent.id.slice("agent:".length)}`;
    if (runaway && !runawayAgents.has(key)) {
      runawayAgents.add(key);
      runawayStarts.push(messages.length);
    }
    messages.push({ key, value, eventId: event.event_id });
    (bad ? badIds : goodIds).push(event.event_id);
  }
  return {
    messages,
    goodIds,
    badIds,
    runawayAgents: [...runawayAgents],
    runawayStarts,
  };
}

/** Sends one chunk until the broker acknowledged it, however long the broker is away. */
async function sendSurely(
  producer: Producer,
  topic: string,
  messages: readonly RoundMessage[],
): Promise<number> {
  let failures = 0;
  for (;;) {
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map(({ key, value }) => ({ key, value })),
      });
      return failures;
    } catch {
      failures += 1;
      await sleep(500);
    }
  }
}

export interface Production {
  /** Messages acknowledged by the broker so far. */
  readonly sent: number;
  /** Sends that failed and were repeated (the broker was away). */
  readonly failedSends: number;
  readonly done: Promise<void>;
}

/**
 * Produces `messages` at about `ratePerSecond` in chunks of `chunkSize`, each chunk awaited (the
 * producer never runs ahead of the broker). A chunk repeated after a failure may be stored
 * twice: ingest's de-duplication and ClickHouse's ReplacingMergeTree absorb that, and the
 * accounting counts distinct event ids.
 */
export function produce(
  kafka: Kafka,
  topic: string,
  messages: readonly RoundMessage[],
  ratePerSecond: number,
  chunkSize = 200,
): Production {
  const state = { sent: 0, failedSends: 0 };
  const done = (async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const started = Date.now();
    try {
      for (let index = 0; index < messages.length; index += chunkSize) {
        const chunk = messages.slice(index, index + chunkSize);
        state.failedSends += await sendSurely(producer, topic, chunk);
        state.sent += chunk.length;
        const dueMs = started + (state.sent / ratePerSecond) * 1000;
        if (dueMs > Date.now()) await sleep(dueMs - Date.now());
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  })();
  return {
    get sent() {
      return state.sent;
    },
    get failedSends() {
      return state.failedSends;
    },
    done,
  };
}
