import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { Admin, Kafka } from "kafkajs";
import type { NatsConnection } from "nats";
import type { DecisionV1, WardenNames } from "@warden/shared";
import { EventType, setJti } from "@warden/revoker";
import type { AcceptedSet } from "./faults-receiver.js";
import { committedTotal, topicSize } from "./kafka.js";
import { eventually } from "./service.js";

// The revoker's stream for REVOKER_PUSH_URL (STATIC_STREAM_ID in services/revoker/src/config.ts).
const STATIC_STREAM_ID = "static-push";

/** Every message of `topic`, read by a throw-away group that is deleted afterwards. */
export async function readWholeTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs = 60_000,
): Promise<Buffer[]> {
  const size = await topicSize(admin, topic);
  const values: Buffer[] = [];
  if (size === 0) return values;
  const groupId = `faults-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`read ${values.length} of ${size} messages of ${topic}`),
        ),
      timeoutMs,
    );
    void consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        if (message.value) values.push(message.value);
        if (values.length >= size) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return values;
}

/** Event ids on the dead-letter topic (its values are the original bytes, so the id is in them). */
export async function deadLetteredIds(
  kafka: Kafka,
  admin: Admin,
  names: WardenNames,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const value of await readWholeTopic(kafka, admin, names.topics.auditDlq))
    try {
      const id = (JSON.parse(value.toString("utf8")) as { event_id?: unknown })
        .event_id;
      if (typeof id === "string") ids.add(id);
    } catch {
      // Not JSON: no event id to count (the fault tests produce none of these).
    }
  return ids;
}

const execFileAsync = promisify(execFile);

// Runs in a child process: the embedded engine binds its directory to one process, and this
// one must let the baseline service open it again afterwards.
const STORED_IDS_SCRIPT = `
import { createClickHouse } from "@warden/shared";
const client = await createClickHouse({ user: "default", password: "", database: "warden", chdbPath: process.argv[1] });
const result = await client.query({ query: "SELECT DISTINCT event_id FROM warden.events", format: "JSONEachRow" });
process.stdout.write((await result.json()).map((row) => row.event_id).join("\\n"));
await client.close();
`;

/** Distinct event ids in the ClickHouse `events` table of a chDB directory no process holds. */
export async function storedEventIds(chdbPath: string): Promise<Set<string>> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ["--input-type=module", "-e", STORED_IDS_SCRIPT, chdbPath],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return new Set(stdout.split("\n").filter((line) => line !== ""));
}

/** Every revoke decision on the JetStream decisions stream (what the revoker acts on), by id. */
export async function revokeDecisions(
  nats: NatsConnection,
  names: WardenNames,
): Promise<Map<string, DecisionV1>> {
  const manager = await nats.jetstreamManager();
  const total = (await manager.streams.info(names.decisionsStream)).state
    .messages;
  const revokes = new Map<string, DecisionV1>();
  if (total === 0) return revokes;
  const consumer = await nats.jetstream().consumers.get(names.decisionsStream);
  let seen = 0;
  const deadline = Date.now() + 60_000;
  while (seen < total) {
    if (Date.now() > deadline)
      throw new Error(`read ${seen} of ${total} decisions`);
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    for await (const message of batch) {
      seen += 1;
      const decision = message.json<DecisionV1>();
      if (decision.action === "revoke")
        revokes.set(decision.decision_id, decision);
    }
  }
  return revokes;
}

/**
 * How many SETs the revoker queued for the static stream. Next to the receiver's count it tells
 * a SET queued twice (a de-duplication failure) from one queued once and pushed twice.
 */
export async function queuedSets(
  nats: NatsConnection,
  names: WardenNames,
): Promise<number> {
  const subject = names.revoker.eventsSubject(STATIC_STREAM_ID);
  const info = await (
    await nats.jetstreamManager()
  ).streams.info(names.revoker.setsStream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

export interface DeliveryFigures {
  /** One session-revoked SET per revoke decision, about the decided agent. */
  readonly expected: number;
  /** Expected SETs the receiver accepted at least once. */
  readonly delivered: number;
  readonly missing: readonly string[];
  /** Accepted copies beyond the first, over every jti. */
  readonly duplicated: number;
  /** The jtis accepted more than once. */
  readonly duplicatedJtis: readonly string[];
  /** SETs about delegated sub-agents under a decision's txn (the revoker's cascade). */
  readonly cascaded: number;
  /** jtis of SETs whose txn is no revoke decision. */
  readonly unexpected: readonly string[];
}

export function deliveryFigures(
  revokes: ReadonlyMap<string, DecisionV1>,
  accepted: readonly AcceptedSet[],
): DeliveryFigures {
  const copies = new Map<string, number>();
  for (const set of accepted)
    copies.set(set.jti, (copies.get(set.jti) ?? 0) + 1);
  const expected = [...revokes.values()].map((decision) =>
    setJti(
      decision.decision_id,
      STATIC_STREAM_ID,
      EventType.sessionRevoked,
      decision.agent_id,
      "",
    ),
  );
  const expectedSet = new Set(expected);
  const others = new Map<string, AcceptedSet>();
  for (const set of accepted)
    if (!expectedSet.has(set.jti)) others.set(set.jti, set);
  const cascaded = [...others.values()].filter((set) => revokes.has(set.txn));
  return {
    expected: expected.length,
    delivered: expected.filter((jti) => copies.has(jti)).length,
    missing: expected.filter((jti) => !copies.has(jti)),
    duplicated: [...copies.values()].reduce((sum, count) => sum + count - 1, 0),
    duplicatedJtis: [...copies]
      .filter(([, count]) => count > 1)
      .map(([jti]) => jti),
    cascaded: cascaded.length,
    unexpected: [...others.values()]
      .filter((set) => !revokes.has(set.txn))
      .map((set) => set.jti),
  };
}

async function consumerIdle(
  nats: NatsConnection,
  stream: string,
  consumer: string,
): Promise<boolean> {
  const manager = await nats.jetstreamManager();
  const info = await manager.consumers.info(stream, consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

async function caughtUp(
  admin: Admin,
  group: string,
  topic: string,
): Promise<boolean> {
  return (
    (await committedTotal(admin, group, topic)) ===
    (await topicSize(admin, topic))
  );
}

/**
 * Waits until the pipeline has nothing in flight: every consumer group committed to the end
 * of its topics, the revoker's decisions consumer and SET queue are empty, and every revoke
 * decision's SET is at the receiver. Returns how long that took.
 */
export async function waitSettled(
  options: {
    readonly admin: Admin;
    readonly nats: NatsConnection;
    readonly names: WardenNames;
    readonly accepted: readonly AcceptedSet[];
  },
  timeoutMs: number,
): Promise<number> {
  const { admin, nats, names } = options;
  const started = Date.now();
  const checks: [string, () => Promise<boolean>][] = [
    [
      "ingest caught up",
      () => caughtUp(admin, names.groups.ingest, names.topics.audit),
    ],
    [
      "detector caught up",
      () => caughtUp(admin, names.groups.detector, names.topics.events),
    ],
    ...[
      names.topics.events,
      names.topics.decisions,
      names.topics.revocations,
    ].map((topic): [string, () => Promise<boolean>] => [
      `baseline caught up on ${topic}`,
      () => caughtUp(admin, names.groups.baseline, topic),
    ]),
    [
      "revoker took every decision",
      () => consumerIdle(nats, names.decisionsStream, names.decisionsConsumer),
    ],
    [
      "SET queue empty",
      () =>
        consumerIdle(
          nats,
          names.revoker.setsStream,
          names.revoker.consumer("events", STATIC_STREAM_ID),
        ),
    ],
    [
      "every revoke decision's SET at the receiver",
      async () =>
        deliveryFigures(await revokeDecisions(nats, names), options.accepted)
          .missing.length === 0,
    ],
  ];
  let waitingFor = "";
  await eventually(
    "the pipeline to settle",
    async () => {
      for (const [what, check] of checks)
        if (!(await check().catch(() => false))) {
          waitingFor = what;
          return undefined;
        }
      return true;
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)} (still waiting for: ${waitingFor})`);
  });
  return Date.now() - started;
}
