import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { Admin, Kafka } from "kafkajs";
import type { NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureTopics,
} from "@warden/shared";
import { canonicalEvent } from "./support/events.js";
import { eventually, freePort } from "./support/service.js";
import { metricValue, publishDecision, until } from "./support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";

// Revoking an agent also revokes the sub-agents it delegated to, as seen in agent.events.v1.
describe("revoker cascade to delegated sub-agents", () => {
  const names = uniqueNames("cascade");
  let connection: NatsConnection;
  let kafka: Kafka;
  let admin: Admin;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let ops: string;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "cascade-test",
    });
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const now = Date.now();
    const chains = [
      ["planner", "worker"],
      ["planner", "worker", "helper"],
      ["planner", "worker-2"],
      ["root", "planner"],
      ["someone-else", "unrelated"],
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: chains.map((chain, index) => {
        const agent = chain[chain.length - 1] ?? "";
        return {
          key: agent,
          value: JSON.stringify({
            ...canonicalEvent(agent, now, index),
            credential: { id: `key-${agent}`, type: "api_key" },
            delegation: chain,
            chain_depth: chain.length,
            chain_root: chain[0],
          }),
        };
      }),
    });
    await producer.disconnect();
    receiver = await startPushReceiver();
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_PUSH_EVENTS: "session-revoked,credential-change",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await admin?.disconnect();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("revokes the tree below the agent under the decision's txn, and nothing else", async () => {
    // All five edges read by the feed before the decision (none is committed; the feed seeks by time).
    await eventually("the delegation feed to read the events", async () =>
      (await metricValue(
        ops,
        'warden_revoker_delegation_edges{service="revoker"}',
      )) === 5
        ? true
        : undefined,
    );

    const decision = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-c1`,
      "planner",
    );
    const expected = ["planner", "worker", "worker-2", "helper"];
    await until("session-revoked for the whole tree", () =>
      expected.every((agent) =>
        receiver.accepted.some(
          (set) =>
            set.eventType.endsWith("/session-revoked") &&
            (decodeJwt(set.jwt)["sub_id"] as { sub: string }).sub === agent,
        ),
      ),
    );
    await until(
      "credential-change for the sub-agents' keys",
      () =>
        receiver.accepted.filter((set) =>
          set.eventType.endsWith("/credential-change"),
        ).length >= 3,
    );
    const claims = receiver.accepted.map((set) => decodeJwt(set.jwt));
    expect(new Set(claims.map((c) => c["txn"]))).toEqual(
      new Set([decision.decision_id]),
    );
    const subjects = claims.map((c) => (c["sub_id"] as { sub: string }).sub);
    expect(subjects).not.toContain("root");
    expect(subjects).not.toContain("unrelated");
    expect(new Set(claims.map((c) => c.jti)).size).toBe(claims.length);
    const helperRevoked = claims.find(
      (c) =>
        (c["sub_id"] as { sub: string }).sub === "helper" &&
        JSON.stringify(c["events"]).includes("session-revoked"),
    );
    expect(JSON.stringify(helperRevoked?.["events"])).toContain(
      "delegated by planner → worker, revoked",
    );

    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    expect((await kv.get("acme.helper"))?.operation).toBe("PUT");
    expect(await kv.get("acme.unrelated")).toBeNull();
    expect(
      await metricValue(
        ops,
        'warden_revoker_cascade_revocations_total{service="revoker"}',
      ),
    ).toBe(3);
  });
});
