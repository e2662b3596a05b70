import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { NatsConnection, Subscription } from "nats";
import {
  connectNats,
  createKafka,
  ensureDecisionsStream,
  parseKillSwitchMessage,
  type DecisionV1,
} from "@warden/shared";
import { readTopic } from "./support/kafka.js";
import { eventually } from "./support/service.js";
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

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";

// The operator-configured push stream (REVOKER_PUSH_URL), as the end-to-end test uses it.
describe("revoker service: static push stream, kill switch and audit over the real stack", () => {
  const names = uniqueNames("revoker");
  const killSwitches: Uint8Array[] = [];
  let receiver: PushReceiver;
  let connection: NatsConnection;
  let subscription: Subscription;
  let revoker: TestRevoker;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "revoker-test",
    });
    await ensureDecisionsStream(await connection.jetstreamManager(), names);
    subscription = connection.subscribe(
      names.killSwitchSubject("acme", "agent:x/1"),
      {
        callback: (_error, message) => killSwitches.push(message.data),
      },
    );
    await connection.flush();
    receiver = await startPushReceiver();
    revoker = await startRevoker(names, {
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_PUSH_AUTHORIZATION: "Bearer receiver-secret",
      REVOKER_PUSH_EVENTS: "session-revoked,credential-change,account-disabled",
      WARDEN_LOG_LEVEL: "info",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    subscription?.unsubscribe();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("pushes signed CAEP/RISC SETs once each, sets the kill switch (KV + subject) and audits it all", async () => {
    const decision: DecisionV1 = {
      schema: "agent-decision/v1",
      decision_id: `dec-${revoker.namespace}`,
      tenant: "acme",
      agent_id: "agent:x/1",
      action: "revoke",
      risk: 0.99,
      at: "2026-11-23T09:00:00.000Z",
      credential_ids: ["key_1"],
      owner: "alice@acme.example",
      delegation: ["planner", "agent:x/1"],
      reasons: [
        {
          detector: "rate_spike",
          score: 0.99,
          summary: "1,250 calls/min vs baseline p99 40",
        },
      ],
    };
    const js = connection.jetstream();
    const subject = names.decisionSubject("acme", "agent:x/1");
    await js.publish(subject, JSON.stringify(decision), {
      msgID: decision.decision_id,
    });
    await eventually(
      "three SETs",
      () => Promise.resolve(receiver.accepted.length >= 3 ? true : undefined),
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${revoker.service.output()}`);
    });
    // The same decision again (as after a detector restart): the jtis are the same, so no second SET.
    await js.publish(subject, JSON.stringify(decision), {
      msgID: `${decision.decision_id}-again`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(
      receiver.accepted.map((set) => set.eventType).sort(),
      revoker.service.output(),
    ).toEqual([
      `${CAEP}/credential-change`,
      `${CAEP}/session-revoked`,
      `${RISC}/account-disabled`,
    ]);

    const jwks = createRemoteJWKSet(new URL(`${revoker.base}/jwks.json`));
    for (const set of receiver.accepted) {
      expect(set.contentType).toBe("application/secevent+jwt");
      expect(set.authorization).toBe("Bearer receiver-secret");
      const { payload, protectedHeader } = await jwtVerify(set.jwt, jwks, {
        issuer: revoker.base,
        audience: receiver.url,
        typ: "secevent+jwt",
      });
      expect(protectedHeader.alg).toBe("RS256");
      expect(payload["txn"]).toBe(decision.decision_id);
      expect(payload["toe"]).toBe(Date.parse(decision.at) / 1000);
      // The operator's static stream covers every tenant: iss_sub under the tenant's issuer.
      expect(payload["sub_id"]).toEqual({
        format: "iss_sub",
        iss: `${revoker.base}/tenants/${decision.tenant ?? "default"}`,
        sub: "agent:x/1",
      });
      expect(payload).not.toHaveProperty("sub");
      expect(payload).not.toHaveProperty("exp");
    }
    expect(revoker.service.output()).not.toContain("receiver-secret");

    const kv = await js.views.kv(names.revokedAgentsBucket);
    // `<tenant>.<agent>`, each escaped to what KV keys allow (services/revoker/src/core/kv-key.ts).
    const entry = await kv.get("acme.agent=3Ax=2F1");
    const stored = parseKillSwitchMessage(entry?.value ?? new Uint8Array());
    expect(stored.ok && stored.message).toMatchObject({
      version: 1,
      action: "revoke",
      tenant: "acme",
      agent_id: "agent:x/1",
      credential_ids: ["key_1"],
      decision_id: decision.decision_id,
      expires_at: null,
    });
    expect(killSwitches.length).toBeGreaterThanOrEqual(1);
    expect(parseKillSwitchMessage(killSwitches[0] ?? new Uint8Array()).ok).toBe(
      true,
    );

    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const audit = (
      await readTopic(kafka, names.topics.revocations, 7, 30_000)
    ).map(
      (message) =>
        JSON.parse(message.value?.toString() ?? "{}") as Record<
          string,
          unknown
        >,
    );
    const steps = audit.map((record) => record["step"]);
    expect(steps.filter((step) => step === "delivered")).toHaveLength(3);
    expect(steps).toContain("kill_switch");
    const delivered = audit.find((record) => record["step"] === "delivered");
    expect(delivered?.["delegation_chain"]).toEqual([
      "agent:x/1",
      "planner",
      "alice@acme.example",
    ]);
    expect(delivered?.["sentence"]).toMatch(
      /^Warden delivered .* about agent agent:x\/1, acting for planner for alice@acme\.example for receiver operator/,
    );

    expect(await revoker.stop()).toBe(0);
  });
});
