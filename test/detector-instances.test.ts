import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AssignerProtocol,
  Partitioners,
  type Admin,
  type Kafka,
} from "kafkajs";
import type { NatsConnection } from "nats";
import { acceptAuditMessage } from "@warden/ingest";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureTopics,
  TOPIC_PARTITIONS,
  type CanonicalEvent,
  type DecisionV1,
  type WardenNames,
} from "@warden/shared";
import { generateEvents, planSimulation } from "@warden/simulator";
import { committedTotal, readTopic, topicSize } from "./support/kafka.js";
import { namespaceOf } from "./support/kafka-namespace.js";
import {
  eventually,
  startService,
  type RunningService,
} from "./support/service.js";
import { cleanUpNats } from "./support/ssf-revoker.js";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";

// Issue 20's "N instances as correct as one": the same simulator stream on the events topic of
// two namespaces, one detector in the first and three in one consumer group in the second.
// Key = agent id puts each agent's events on one partition, so each agent is judged by one instance in the order it acted; what spans
// agents — who used a credential within the hour, which credentials Warden revoked — is shared
// between instances (adapters/credential-index.ts). The runs must revoke, step up and alert on
// the same agents with the same decision ids and trigger events.
//
// The second phase makes that cross-agent state decide: after the first phase is committed
// everywhere, agents on another instance than the credential's owner (in both groups) use a
// revoked credential and a live one. One instance knows both; without the shared facts the
// instance scoring the newcomers knows neither, and the decisions differ. The phases are
// ordered by commit (not by time), so the comparison is deterministic: within a phase no two
// agents of one credential are scored apart.
const HOUR_MS = 3_600_000;
/**
 * Detectors still judged by per-instance memory of a peer group (a tenant's agents of one kind):
 * the payees, transitions and LLM spend each instance learns from the agents it scores. With
 * them on, one instance and three disagree on this stream (counterparty_novelty 7.9 bits on one,
 * 7 on three; llm_spend firing only on three, whose peer groups are a third as large). Muted
 * until those memories come from the baseline service (issue 20's note); everything else is on.
 */
const PEER_MEMORY = ["counterparty_novelty", "transition_novelty", "llm_spend"];
const dir = mkdtempSync(join(tmpdir(), "warden-instances-"));
const policyFile = join(dir, "policy.json");
const DETECTOR_ENV = {
  DETECTOR_POLICY_FILE: policyFile,
  DETECTOR_BURST_MAX_CALLS: "30",
  DETECTOR_BURST_WINDOW: "10s",
  KAFKA_SESSION_TIMEOUT: "6s",
};
const SETUPS = [1, 3] as const;

function accepted(event: unknown, nowMs: number): CanonicalEvent {
  const result = acceptAuditMessage(Buffer.from(JSON.stringify(event)), {
    maxEventBytes: 1 << 20,
    maxFutureSkewMs: 60_000,
    lateAfterMs: 24 * HOUR_MS,
    nowMs,
  });
  if (!result.ok) throw new Error(`a test event was rejected`);
  return result.event;
}

function simulatedEvents(nowMs: number): CanonicalEvent[] {
  const plan = planSimulation({
    seed: 20,
    agents: 60,
    startMs: nowMs - 2 * HOUR_MS,
    durationMs: HOUR_MS,
    targetEvents: 3000,
    attacks: [
      { kind: "runaway_loop", count: 3 },
      { kind: "bulk_export", count: 2 },
      { kind: "denied_call_probing", count: 2 },
      { kind: "control_plane_persistence", count: 1 },
    ],
    traps: [],
    learningFraction: 0.2,
  });
  return [...generateEvents(plan)].map(({ event }) => accepted(event, nowMs));
}

/** `calls` calls by `agent` with another agent's credential, a second apart from `fromMs`. */
function borrowed(
  owner: CanonicalEvent,
  agent: string,
  fromMs: number,
  calls: number,
  nowMs: number,
): CanonicalEvent[] {
  return Array.from({ length: calls }, (_, i) => {
    const timeMs = fromMs + i * 1000;
    return accepted(
      {
        schema: "agent-audit/v1",
        event_id: `borrow-${agent}-${i}`,
        time: new Date(timeMs).toISOString(),
        tenant: owner.tenant,
        agent: { id: agent, kind: "intruder" },
        credential: {
          id: owner.credential.id,
          type: owner.credential.type,
        },
        action: { name: "crm.read", verb: "read" },
        outcome: "success",
        source: { ip: "203.0.113.7" },
      },
      nowMs,
    );
  });
}

const partitioner = Partitioners.DefaultPartitioner();
/** The events partition an agent's events go to (murmur2 on the key, as every producer). */
function partitionOf(topic: string, agent: string, partitions: number): number {
  return partitioner({
    topic,
    partitionMetadata: Array.from({ length: partitions }, (_, id) => ({
      partitionId: id,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key: agent, value: null },
  });
}

describe("three detector instances in one group decide as one does", () => {
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  const spaces: WardenNames[] = [];
  const running: RunningService[] = [];

  beforeAll(async () => {
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 2,
        detectors: Object.fromEntries(
          PEER_MEMORY.map((name) => [name, { weight: 0 }]),
        ),
      }),
    );
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "detector-instances-test",
    });
  });
  afterAll(async () => {
    for (const service of running) await service.stop();
    const manager = await nats.jetstreamManager();
    for (const names of spaces) {
      await cleanUpNats(nats, names);
      await manager.streams
        .delete(`KV_${names.credentialsBucket}`)
        .catch(() => undefined);
      await admin
        .deleteTopics({ topics: Object.values(names.topics) })
        .catch(() => undefined);
    }
    await nats.drain();
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  interface Setup {
    readonly names: WardenNames;
    readonly output: () => string;
    /** Which member holds each events partition. */
    readonly memberOf: ReadonlyMap<number, string>;
  }

  /** Starts `instances` detectors in a fresh namespace and waits until each holds partitions. */
  async function detectors(label: string, instances: number): Promise<Setup> {
    const names = uniqueNames(label);
    spaces.push(names);
    await ensureTopics(admin, names);
    const started = Array.from({ length: instances }, () =>
      startService("services/detector/dist/main.js", {
        ...DETECTOR_ENV,
        WARDEN_NAMESPACE: namespaceOf(names),
        WARDEN_OPS_PORT: "0",
      }),
    );
    running.push(...started);
    const output = () => started.map((service) => service.output()).join("\n");
    const memberOf = await eventually(
      `${instances} detector(s) holding partitions of ${names.topics.events}`,
      async () => {
        const [group] = (await admin.describeGroups([names.groups.detector]))
          .groups;
        if (group?.state !== "Stable") return undefined;
        const held = new Map<number, string>();
        for (const member of group.members) {
          const assignment = AssignerProtocol.MemberAssignment.decode(
            member.memberAssignment,
          );
          for (const partition of assignment?.assignment[names.topics.events] ??
            [])
            held.set(partition, member.memberId);
        }
        const members = new Set(held.values());
        return members.size === instances &&
          held.size === TOPIC_PARTITIONS.events
          ? held
          : undefined;
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    return { names, output, memberOf };
  }

  async function produce(
    setups: readonly Setup[],
    events: readonly CanonicalEvent[],
  ): Promise<void> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (const { names } of setups)
      for (let at = 0; at < events.length; at += 500)
        await producer.send({
          topic: names.topics.events,
          acks: -1,
          messages: events.slice(at, at + 500).map((event) => ({
            key: event.agent.id,
            value: JSON.stringify(event),
          })),
        });
    await producer.disconnect();
  }

  /** Waits until `total` events are committed (a batch's decisions and facts come first). */
  async function committed(setup: Setup, total: number): Promise<void> {
    await eventually(
      `the detectors to commit all ${total} events`,
      async () =>
        (await committedTotal(
          admin,
          setup.names.groups.detector,
          setup.names.topics.events,
        )) === total
          ? true
          : undefined,
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${setup.output()}`);
    });
  }

  /** Every decision so far (the topic's reader group resumes where it stopped). */
  const read = new Map<Setup, DecisionV1[]>();
  async function decisionsOf(setup: Setup): Promise<DecisionV1[]> {
    const held = read.get(setup) ?? [];
    const size = await topicSize(admin, setup.names.topics.decisions);
    const messages = await readTopic(
      kafka,
      setup.names.topics.decisions,
      size - held.length,
    );
    const all = [
      ...held,
      ...messages.map(
        (message) =>
          JSON.parse(message.value?.toString() ?? "{}") as DecisionV1,
      ),
    ].sort((a, b) => a.decision_id.localeCompare(b.decision_id));
    read.set(setup, all);
    return all;
  }

  it("revokes, steps up and alerts on the same agents with the same decision ids", async () => {
    const nowMs = Date.now();
    const first = simulatedEvents(nowMs);
    const setups: Setup[] = [];
    for (const instances of SETUPS)
      setups.push(await detectors(`det-${instances}`, instances));
    await produce(setups, first);
    for (const setup of setups) await committed(setup, first.length);
    const [single] = setups as [Setup, ...Setup[]];
    const before = await decisionsOf(single);
    // The stream's attacks are decided: a real comparison, not two empty lists.
    const revoked = before.filter((d) => d.action === "revoke");
    expect(revoked.length).toBeGreaterThan(2);

    // Phase two: newcomers held by another instance than the owner, in every group.
    const apart = (owner: string, stranger: string): boolean =>
      setups.slice(1).every(({ names, memberOf }) => {
        const of = (agent: string) =>
          memberOf.get(
            partitionOf(names.topics.events, agent, TOPIC_PARTITIONS.events),
          );
        return of(owner) !== of(stranger);
      });
    const strangerOf = (owner: string, label: string): string => {
      for (let n = 0; n < 1000; n++)
        if (apart(owner, `agent:${label}/${n}`)) return `agent:${label}/${n}`;
      throw new Error(`no agent id apart from ${owner}`);
    };
    const lastOf = (agent: string) =>
      first.filter((event) => event.agent.id === agent).at(-1);
    const loop = revoked.find((d) => d.reasons[0]?.detector === "burst");
    // The credential it was revoked with (an agent may rotate its credentials).
    const loopEvent = first.find(
      (event) => event.event_id === loop?.trigger_event_id,
    );
    const quiet = first.find(
      (event) => !before.some((d) => d.agent_id === event.agent.id),
    );
    if (!loop || !loopEvent || !quiet) throw new Error("the stream changed");
    const reuser = strangerOf(loop.agent_id, "reuser");
    const sharer = strangerOf(quiet.agent.id, "sharer");
    // A second one on the same partition, so the two are scored in one order everywhere.
    const partitionOfAgent = (agent: string) =>
      partitionOf(single.names.topics.events, agent, TOPIC_PARTITIONS.events);
    const cosharer = Array.from(
      { length: 1000 },
      (_, n) => `agent:cosharer/${n}`,
    ).find((agent) => partitionOfAgent(agent) === partitionOfAgent(sharer));
    if (!cosharer) throw new Error("no agent id on the sharer's partition");
    const sharedFromMs = (lastOf(quiet.agent.id)?.time_ms ?? 0) + 5 * 60_000;
    const second = [
      // Ten minutes after the loop was revoked: the revocation did not hold.
      ...borrowed(
        loopEvent,
        reuser,
        Date.parse(loop.at) + 10 * 60_000,
        5,
        nowMs,
      ),
      // Within the hour of the quiet agent's last call: one credential, three agent ids.
      ...borrowed(quiet, sharer, sharedFromMs, 5, nowMs),
      ...borrowed(quiet, cosharer, sharedFromMs + 10_000, 5, nowMs),
    ];
    await produce(setups, second);
    for (const setup of setups)
      await committed(setup, first.length + second.length);
    const decided = await Promise.all(setups.map(decisionsOf));
    const [one, ...others] = decided as [DecisionV1[], ...DecisionV1[][]];
    // One instance decided on both newcomers, from the other agents' facts.
    const newcomers = one.filter((d) =>
      [reuser, sharer, cosharer].includes(d.agent_id),
    );
    expect(new Set(newcomers.map((d) => d.agent_id))).toEqual(
      new Set([reuser, cosharer]),
    );
    expect(
      newcomers.some((d) =>
        d.reasons.some((r) => r.detector === "credential_lifetime"),
      ),
    ).toBe(true);
    const summary = (decisions: readonly DecisionV1[]) =>
      decisions.map((d) => [
        d.decision_id,
        d.agent_id,
        d.action,
        d.trigger_event_id,
      ]);
    for (const other of others) expect(summary(other)).toEqual(summary(one));
  }, 400_000);
});
