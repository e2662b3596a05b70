import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually, freePort } from "../support/service.js";
import {
  metricValue,
  publishDecision,
  ssfClient,
  until,
} from "../support/ssf-client.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "../support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "../support/stack.js";

interface DeadEntry {
  seq: number;
  decision_id?: string;
  tenant?: string;
  reason: string;
  deliveries: number;
  error: string;
}

// Issue 16: "a revoke is dropped for good after 10 failed deliveries, with no alert". Here a
// real failure makes every delivery of a decision fail: its receiver is down and its SSF
// stream's queue is at REVOKER_QUEUE_MAX_PER_STREAM, so the SET cannot be queued. The real
// revoker over real NATS applies the kill switch anyway, dead-letters the decision after
// REVOKER_DECISION_MAX_DELIVERIES, counts it, and an operator re-drives it to the receiver.
describe("a decision whose deliveries all fail is dead-lettered and re-driven, never dropped", () => {
  const names = uniqueNames("sec-dead");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let ops: string;
  let soc: ReturnType<typeof ssfClient>;
  let otherTenant: ReturnType<typeof ssfClient>;
  const txns = () =>
    receiver.accepted.map((set) => String(decodeJwt(set.jwt)["txn"]));

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-dead-test",
    });
    receiver = await startPushReceiver();
    receiver.answer = { status: 503 };
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
        {
          id: "globex-desk",
          token_sha256: sha256Hex("globex-token"),
          tenant: "globex",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_QUEUE_MAX_PER_STREAM: "2",
      REVOKER_DECISION_MAX_DELIVERIES: "3",
      REVOKER_RETRY_INITIAL: "50ms",
      REVOKER_RETRY_MAX: "200ms",
      REVOKER_BREAKER_OPEN: "1s",
      REVOKER_CASCADE: "false",
    });
    soc = ssfClient(revoker.base, "soc-token");
    otherTenant = ssfClient(revoker.base, "globex-token");
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  const dead = async (client = soc) =>
    (
      (await client("GET", "/admin/dead-decisions")).body as {
        dead_decisions: DeadEntry[];
      }
    ).dead_decisions;

  it("kills the agent first, dead-letters the decision with a count, and re-drives it on request", async () => {
    const id = (n: number) => `${revoker.namespace}-d${n}`;
    // Two SETs fill the static stream's queue (the receiver answers 503, so none leaves it).
    await publishDecision(connection, names, id(1), "bot-1");
    await publishDecision(connection, names, id(2), "bot-2");
    await until(
      "two SETs attempted",
      () => new Set(receiver.attempts).size >= 2,
    );
    await publishDecision(connection, names, id(3), "bot-3");

    const entry = await eventually("the dead letter", async () =>
      (await dead()).find((item) => item.decision_id === id(3)),
    );
    expect(entry).toMatchObject({
      tenant: "acme",
      reason: "exhausted",
      deliveries: 3,
    });
    expect(entry.error).toMatch(/maximum messages per subject exceeded/i);
    // The kill switch went out before the SETs were queued (issue 16).
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    expect(
      JSON.parse((await kv.get("acme.bot-3"))?.string() ?? "{}"),
    ).toMatchObject({
      action: "revoke",
    });
    // Counted and visible to the alert (WardenRevocationDecisionDeadLettered).
    expect(
      await metricValue(
        ops,
        'warden_revoker_decisions_total{outcome="dead_lettered",service="revoker"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(
        ops,
        'warden_revoker_dead_decisions{service="revoker"}',
      ),
    ).toBe(1);
    // Another tenant's admin neither sees nor re-drives it.
    expect(await dead(otherTenant)).toEqual([]);
    expect(
      (
        await otherTenant("POST", "/admin/dead-decisions/redrive", {
          seq: entry.seq,
        })
      ).status,
    ).toBe(404);

    // The receiver comes back; the operator re-drives; the SET reaches it.
    receiver.answer = { status: 202 };
    await until("the queued SETs delivered", () =>
      [id(1), id(2)].every((txn) => txns().includes(txn)),
    );
    const redriven = await soc("POST", "/admin/dead-decisions/redrive", {
      all: true,
    });
    expect(redriven.body).toEqual({ redriven: [entry.seq] });
    await until("the re-driven decision's SET", () => txns().includes(id(3)));
    expect(await dead()).toEqual([]);
    expect(
      await metricValue(
        ops,
        'warden_revoker_dead_decisions{service="revoker"}',
      ),
    ).toBe(0);
    expect(
      await metricValue(
        ops,
        'warden_revoker_decisions_total{outcome="redriven",service="revoker"}',
      ),
    ).toBe(1);
  });

  it("keeps a decision that never parses, for the operator only", async () => {
    await connection
      .jetstream()
      .publish(names.decisionSubject("acme", "bot-9"), '{"schema":"nope"}');
    const entry = await eventually("the invalid dead letter", async () =>
      (await dead()).find((item) => item.reason === "invalid"),
    );
    expect(entry.tenant).toBeUndefined();
    expect(entry.deliveries).toBe(1);
    expect(await dead(otherTenant)).toEqual([]);
  });

  it("refuses a re-drive request that names nothing", async () => {
    expect(
      (await soc("POST", "/admin/dead-decisions/redrive", {})).status,
    ).toBe(400);
    expect(
      (await soc("POST", "/admin/dead-decisions/redrive", { seq: 999_999 }))
        .status,
    ).toBe(404);
  });
});
