import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka, Producer } from "kafkajs";
import { chunkBySize } from "@warden/ingest";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  sleep,
  type WardenNames,
} from "@warden/shared";
import { auditEvent } from "./support/events.js";
import { kafkaConfig, quietLogger, uniqueNames } from "./support/stack.js";
import { committedTotal, readTopic, topicSize } from "./support/kafka.js";
import { restartBroker } from "./support/faults-pipeline.js";
import { namespaceOf } from "./support/kafka-namespace.js";
import { eventually, freePort, startService } from "./support/service.js";

/** Sends until the broker acknowledged, however long it is away. */
async function sendSurely(
  producer: Producer,
  topic: string,
  values: string[],
): Promise<void> {
  for (const chunk of chunkBySize(
    values.map((value) => ({ key: "gateway-fault", value })),
  )) {
    for (;;) {
      try {
        await producer.send({ topic, messages: chunk, acks: -1 });
        break;
      } catch {
        await sleep(500);
      }
    }
  }
}

/**
 * The event ids found on the events topic and the source offsets of the dead letters, each
 * de-duplicated (a re-delivered batch may have produced some twice), with their raw counts.
 */
async function delivered(kafka: Kafka, admin: Admin, names: WardenNames) {
  const events = await readTopic(
    kafka,
    names.topics.events,
    await topicSize(admin, names.topics.events),
  );
  const ids = new Set(
    events.map(
      (message) =>
        (JSON.parse(message.value?.toString() ?? "{}") as { event_id: string })
          .event_id,
    ),
  );
  const letters = await readTopic(
    kafka,
    names.topics.auditDlq,
    await topicSize(admin, names.topics.auditDlq),
  );
  const rejectedOffsets = new Set(
    letters.map(
      (letter) =>
        `${String(letter.headers?.["warden-source-partition"])}@${String(letter.headers?.["warden-source-offset"])}`,
    ),
  );
  return {
    ids,
    copies: events.length + letters.length,
    rejectedOffsets,
  };
}

// Faults over the real stack: a killed ingest and a restarted broker lose nothing.
describe("ingest faults", () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: WardenNames[] = [];

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: quietLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
  });
  afterAll(async () => {
    for (const names of created)
      await admin
        .deleteTopics({ topics: Object.values(names.topics) })
        .catch(() => undefined);
    await admin.disconnect();
  });

  it("kill -9 in the middle of a batch, then restart: every event reaches agent.events.v1 or the DLQ", async () => {
    const names = uniqueNames("ingest-kill");
    created.push(names);
    await ensureTopics(admin, names);
    const total = 30_000;
    const values = Array.from({ length: total }, (_, index) =>
      index % 1000 === 0
        ? `not json ${index}`
        : auditEvent(`agent:kill/${index % 50}`, index),
    );
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    await sendSurely(producer, names.topics.audit, values);
    await producer.disconnect();

    const env = {
      WARDEN_NAMESPACE: namespaceOf(names),
      WARDEN_OPS_PORT: String(await freePort()),
      // The restarted member waits out the killed one's session: 15 s, not 30 s (at 6 s a
      // loaded machine had a live member dropped from its group).
      KAFKA_SESSION_TIMEOUT: "15s",
    };
    const first = startService("services/ingest/dist/main.js", env);
    await eventually("ingest to be part-way through", async () => {
      const forwarded = await topicSize(admin, names.topics.events);
      return forwarded > 0 ? forwarded : undefined;
    });
    first.child.kill("SIGKILL");
    await first.stop();
    const partWay = await committedTotal(
      admin,
      names.groups.ingest,
      names.topics.audit,
    );
    expect(partWay).toBeLessThan(total);

    const second = startService("services/ingest/dist/main.js", env);
    await eventually(
      "the restarted ingest to commit everything",
      async () =>
        (await committedTotal(
          admin,
          names.groups.ingest,
          names.topics.audit,
        )) === total
          ? true
          : undefined,
      120_000,
    );
    expect(await second.stop()).toBe(0);
    const { ids, copies, rejectedOffsets } = await delivered(
      kafka,
      admin,
      names,
    );
    expect(rejectedOffsets.size).toBe(total / 1000);
    expect(ids.size).toBe(total - total / 1000);
    // Re-delivered copies can only come from the batch in flight when the process died.
    expect(copies - ids.size - rejectedOffsets.size).toBeLessThanOrEqual(
      total - partWay,
    );
  });

  it("recovers by itself from a broker restart while events are produced, losing nothing", async () => {
    const names = uniqueNames("ingest-broker");
    created.push(names);
    await ensureTopics(admin, names);
    const service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespaceOf(names),
      WARDEN_OPS_PORT: String(await freePort()),
      // A consumer that restarts after the broker came back rejoins as a new member: its old
      // one, whose leave the restarting broker did not take, holds the partitions until then.
      KAFKA_SESSION_TIMEOUT: "15s",
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const rounds = 20;
    const perRound = 500;
    const producing = (async () => {
      for (let round = 0; round < rounds; round += 1) {
        const values = Array.from({ length: perRound }, (_, index) =>
          auditEvent(`agent:broker/${index % 20}`, round * perRound + index),
        );
        await sendSurely(producer, names.topics.audit, values);
        await sleep(250);
      }
    })();
    const committed = () =>
      committedTotal(admin, names.groups.ingest, names.topics.audit).catch(
        () => 0,
      );
    await eventually("ingest to be consuming", async () =>
      (await committed()) > 0 ? true : undefined,
    );
    // Asynchronously, so that the producer above keeps trying while the broker is away.
    await restartBroker("kafka");
    await producing;
    await producer.disconnect();
    const total = rounds * perRound;
    await eventually(
      "ingest to commit everything after the restart",
      async () => ((await committed()) === total ? true : undefined),
      150_000,
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}: ${await committed()}/${total} committed\n${service.output().slice(-6000)}`,
      );
    });
    expect(service.child.exitCode, service.output()).toBeNull();
    expect(await service.stop()).toBe(0);
    const { ids } = await delivered(kafka, admin, names);
    expect(ids.size).toBe(total);
  }, 240_000);
});
