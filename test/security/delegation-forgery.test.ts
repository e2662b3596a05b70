import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import type { NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureTopics,
} from "@warden/shared";
import { canonicalEvent } from "../support/events.js";
import { eventually, freePort } from "../support/service.js";
import {
  metricValue,
  publishDecision,
  ssfClient,
} from "../support/ssf-client.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "../support/stack.js";

const FLOOD = 150;

// Issue 16, Medium "delegation chains trusted as sent": a forged chain cascaded to an
// approval-gated agent without approval, and fan-out was unbounded.
describe("a revoke cascades only along vouched edges, through approval, and capped", () => {
  const names = uniqueNames("sec-cascade");
  let connection: NatsConnection;
  let kafka: Kafka;
  let admin: Admin;
  let revoker: TestRevoker;
  let ops: string;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-cascade-test",
    });
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const now = Date.now();
    const chains = [
      // Reported by the payments agent's own gateway: x is its direct parent.
      ["x", "acme-prod-payments"],
      // A chain naming others: only its last edge (payments → helper) is the reporter's to vouch for.
      ["x", "acme-prod-ledger", "helper"],
      // A fan-out bomb below x.
      ...Array.from({ length: FLOOD }, (_, index) => ["x", `flood-${index}`]),
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
            delegation: chain,
            chain_depth: chain.length,
            chain_root: chain[0],
          }),
        };
      }),
    });
    await producer.disconnect();
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_APPROVAL_AGENTS: "acme/acme-prod-*",
      REVOKER_APPROVAL_TIMEOUT: "1h",
      REVOKER_CASCADE_MAX_AGENTS: "20",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await admin?.disconnect();
    if (revoker) removeKeyDir(revoker);
  });

  it("holds the protected agent for approval, ignores hearsay edges and caps the fan-out", async () => {
    await eventually("the delegation feed to read the events", async () =>
      (await metricValue(
        ops,
        'warden_revoker_delegation_edges{service="revoker"}',
      )) ===
      FLOOD + 2
        ? true
        : undefined,
    );
    const decision = await publishDecision(
      connection,
      names,
      `${revoker.namespace}-x`,
      "x",
    );
    await eventually("the cascade to be capped", async () =>
      (await metricValue(
        ops,
        'warden_revoker_cascade_capped_total{service="revoker"}',
      )) ===
      FLOOD - 20
        ? true
        : undefined,
    );
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    const revokedFlood = async () => {
      let count = 0;
      for (let index = 0; index < FLOOD; index += 1)
        if ((await kv.get(`acme.flood-${index}`))?.operation === "PUT")
          count += 1;
      return count;
    };
    await eventually("the capped cascade's kill switches", async () =>
      (await revokedFlood()) === 20 ? true : undefined,
    );
    expect((await kv.get("acme.x"))?.operation).toBe("PUT");
    // The protected agent is not revoked without a person; the hearsay ledger edge made nothing.
    expect(await kv.get("acme.acme-prod-payments")).toBeNull();
    expect(await kv.get("acme.acme-prod-ledger")).toBeNull();
    const soc = ssfClient(revoker.base, "soc-token");
    const pending = (await soc("GET", "/admin/approvals")).body as {
      decision_id: string;
      agent_id: string;
    }[];
    expect(pending.map((p) => [p.decision_id, p.agent_id])).toEqual([
      [`${decision.decision_id}/acme-prod-payments`, "acme-prod-payments"],
    ]);
    expect(await revokedFlood()).toBe(20);
  });
});
