import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JetStreamClient, JetStreamManager, NatsConnection } from "nats";
import {
  connectNats,
  ensureDecisionsStream,
  type DecisionV1,
} from "@warden/shared";
import { eventually } from "./support/service.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import {
  cleanUpNats,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

// Issue 20: two revoker replicas on the same durable JetStream consumers (decisions, then the
// static push stream's SET queue), as a deployment with two pods runs them. Each decision is
// taken by one replica and each SET pushed by one, so the receiver gets every SET exactly once
// by jti; when one replica is killed the other delivers what was left, losing none.
const STATIC_STREAM_ID = "static-push";
const DECISIONS = 24;

function revokeDecision(batch: string, index: number): DecisionV1 {
  return {
    schema: "agent-decision/v1",
    decision_id: `dec-${batch}-${index}`,
    tenant: "acme",
    agent_id: `agent:replica-${batch}/${index}`,
    action: "revoke",
    risk: 0.99,
    at: new Date().toISOString(),
    credential_ids: [`key-${batch}-${index}`],
    reasons: [{ detector: "burst", score: 0.99, summary: "runaway loop" }],
  };
}

describe("two revoker replicas on one set of JetStream consumers", () => {
  const names = uniqueNames("revoker-replicas");
  const keyDir = mkdtempSync(join(tmpdir(), "warden-replicas-"));
  let connection: NatsConnection;
  let js: JetStreamClient;
  let manager: JetStreamManager;
  let receiver: PushReceiver;
  const replicas: TestRevoker[] = [];

  const output = () =>
    replicas.map((replica) => replica.service.output()).join("\n");

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "revoker-replicas-test",
    });
    js = connection.jetstream();
    manager = await connection.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    receiver = await startPushReceiver();
    const env = {
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_PUSH_EVENTS: "session-revoked",
      // Scaled down from 1 s, 5 m and 30 s so a receiver back after seconds is reached in seconds.
      REVOKER_RETRY_INITIAL: "250ms",
      REVOKER_RETRY_MAX: "1s",
      REVOKER_BREAKER_OPEN: "2s",
    };
    // One signing key and one issuer, as replicas behind one service share them.
    const first = await startRevoker(names, env, keyDir);
    replicas.push(first);
    replicas.push(
      await startRevoker(names, { ...env, REVOKER_ISSUER: first.base }, keyDir),
    );
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  async function publish(batch: string): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < DECISIONS; index += 1) {
      const decision = revokeDecision(batch, index);
      await js.publish(
        names.decisionSubject("acme", decision.agent_id),
        JSON.stringify(decision),
        { msgID: decision.decision_id },
      );
      ids.push(decision.decision_id);
    }
    return ids;
  }

  /**
   * Resolves once every decision and every SET was acknowledged by a replica: nothing is
   * pending or in flight on either consumer, so no further push can come.
   */
  async function drained(): Promise<void> {
    const consumers: [string, string][] = [
      [names.decisionsStream, names.decisionsConsumer],
      [
        names.revoker.setsStream,
        names.revoker.consumer("events", STATIC_STREAM_ID),
      ],
    ];
    await eventually(
      "both consumers drained",
      async () => {
        for (const [stream, consumer] of consumers) {
          const info = await manager.consumers
            .info(stream, consumer)
            .catch(() => undefined);
          if (!info || info.num_pending > 0 || info.num_ack_pending > 0)
            return undefined;
        }
        return true;
      },
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
  }

  const setsOf = (batch: string) =>
    receiver.accepted.filter((set) =>
      JSON.stringify(decodePayload(set.jwt)).includes(`dec-${batch}-`),
    );

  it("delivers each SET exactly once by jti while both run", async () => {
    await publish("both");
    await eventually(
      `${DECISIONS} SETs at the receiver`,
      () =>
        Promise.resolve(setsOf("both").length >= DECISIONS ? true : undefined),
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    await drained();
    const jtis = setsOf("both").map((set) => set.jti);
    expect(new Set(jtis).size).toBe(DECISIONS);
    expect(jtis, "a SET delivered twice").toHaveLength(DECISIONS);
  });

  it("loses no SET and repeats none when one replica is killed with SIGKILL mid-flight", async () => {
    const [victim, survivor] = replicas;
    if (!victim || !survivor) throw new Error("two replicas expected");
    // The receiver refuses while the replica dies, so the batch's SETs are all taken, pushed,
    // refused and held for retry by either replica: what the victim held must come back to
    // the survivor. (A SET accepted by the receiver whose acknowledgement died with the
    // process is pushed again: receivers de-duplicate by jti, RFC 8935 §2.)
    receiver.answer = { status: 503 };
    const refusedBefore = receiver.attempts.length;
    await publish("kill");
    await eventually(
      "pushes of the batch refused",
      () =>
        Promise.resolve(
          receiver.attempts.length >= refusedBefore + 4 ? true : undefined,
        ),
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    victim.service.child.kill("SIGKILL");
    await new Promise((resolve) => victim.service.child.once("exit", resolve));
    receiver.answer = { status: 202 };
    await eventually(
      `all ${DECISIONS} SETs of the batch at the receiver`,
      () =>
        Promise.resolve(
          new Set(setsOf("kill").map((set) => set.jti)).size >= DECISIONS
            ? true
            : undefined,
        ),
      150_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    await drained();
    expect(survivor.service.child.exitCode, output()).toBeNull();
    expect(setsOf("kill"), "a SET delivered twice").toHaveLength(DECISIONS);
  });
});

function decodePayload(jwt: string): unknown {
  const [, payload = ""] = jwt.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}
