import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually } from "../support/service.js";
import { publishDecision } from "../support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "../support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "../support/stack.js";

// The least REVOKER_QUEUE_MAX_AGE allows: JetStream wants the 10 min duplicate window inside it.
const QUEUE_MAX_AGE_MS = 600_000;

// Issue 16, "nothing is acked before it is durable somewhere": a SET the receiver refused was
// dead-lettered into the SET queue's own stream, whose max_age (REVOKER_QUEUE_MAX_AGE) then
// deleted it unseen. Dead letters now have a stream of their own that nothing ages out.
describe("SET dead letters outlive REVOKER_QUEUE_MAX_AGE", () => {
  const names = uniqueNames("sec-deadsets");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-deadsets-test",
    });
    receiver = await startPushReceiver();
    // RFC 8935 §2.4: a 400 with an error code is final, so the SET is dead-lettered at once.
    receiver.answer = {
      status: 400,
      body: JSON.stringify({ err: "invalid_request", description: "no" }),
    };
    revoker = await startRevoker(names, {
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_QUEUE_MAX_AGE: `${QUEUE_MAX_AGE_MS}ms`,
      REVOKER_CASCADE: "false",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("keeps a refused SET in a stream that nothing ages out", async () => {
    const manager = await connection.jetstreamManager();
    await publishDecision(
      connection,
      names,
      `${revoker.namespace}-d1`,
      "bot-1",
    );
    const dead = await eventually(
      "the refused SETs dead-lettered",
      async () => {
        const { state } = await manager.streams
          .info(names.revoker.deadSetsStream)
          .catch(() => ({ state: { messages: 0 } }));
        return state.messages > 0 ? state.messages : undefined;
      },
    );
    const stored = await manager.streams.getMessage(
      names.revoker.deadSetsStream,
      { last_by_subj: names.revoker.deadSubject("static-push") },
    );
    expect(stored.json<{ reason: string }>().reason).toMatch(
      /invalid_request/u,
    );

    // JetStream ages a stream out by its own max_age: the queue's is REVOKER_QUEUE_MAX_AGE, the
    // dead letters' stream has none (0), and every dead letter is there.
    const queue = await manager.streams.info(names.revoker.setsStream);
    expect(queue.config.max_age).toBe(QUEUE_MAX_AGE_MS * 1_000_000);
    const kept = await manager.streams.info(names.revoker.deadSetsStream);
    expect(kept.config.max_age).toBe(0);
    expect(kept.state.messages).toBe(dead);
  });
});
