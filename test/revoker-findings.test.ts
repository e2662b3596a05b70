import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import {
  connectNats,
  createKafka,
  ensureDecisionsStream,
  type DecisionV1,
} from "@warden/shared";
import { decisionFinding } from "@warden/revoker";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import { ocsfValidator } from "./support/ocsf.js";
import { freePort } from "./support/service.js";
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

const { version } = createRequire(import.meta.url)(
  "../services/revoker/package.json",
) as { version: string };

type Finding = Record<string, unknown> & {
  activity_name: string;
  finding_info: Record<string, unknown>;
  metadata: Record<string, unknown>;
};

// The cluster revoker writes what the all-in-one sends its sinks: one Detection Finding per
// decision (the all-in-one's decisionFinding), plus an Update per step of the revocation.
describe("revoker service: OCSF findings on warden.findings.v1 over the real stack", () => {
  const names = uniqueNames("findings");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let opsPort: number;
  let validate: ReturnType<typeof ocsfValidator>;

  beforeAll(async () => {
    validate = ocsfValidator();
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "revoker-findings-test",
    });
    await ensureDecisionsStream(await connection.jetstreamManager(), names);
    receiver = await startPushReceiver();
    opsPort = await freePort();
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_PUSH_EVENTS: "session-revoked,credential-change",
    });
  }, 120_000);
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    await receiver?.close();
    if (revoker) removeKeyDir(revoker);
  });

  it("writes the decision's finding and one Update per audit record, all valid OCSF 1.8 Detection Findings", async () => {
    const decision: DecisionV1 = {
      schema: "agent-decision/v1",
      decision_id: `dec-${revoker.namespace}`,
      tenant: "acme",
      agent_id: "agent:etl/9",
      action: "revoke",
      risk: 0.98,
      at: "2026-11-23T09:00:00.000Z",
      decided_at: "2026-11-23T09:00:00.150Z",
      trigger_event_id: "evt-1",
      credential_ids: ["key_9"],
      owner: "alice@acme.example",
      delegation: ["planner", "agent:etl/9"],
      reasons: [
        {
          detector: "volume_exfil",
          score: 0.98,
          summary: "52 MB out vs baseline p99 1 MB",
          observed: 52_000_000,
          expected: 1_000_000,
        },
      ],
    };
    await connection
      .jetstream()
      .publish(
        names.decisionSubject("acme", "agent:etl/9"),
        JSON.stringify(decision),
        { msgID: decision.decision_id },
      );

    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    // queued + delivered for each of the two SETs, and the kill switch.
    const audit = await readTopic(kafka, names.topics.revocations, 5, 60_000);
    expect(audit.length, revoker.service.output()).toBe(5);
    const messages = await readTopic(kafka, names.topics.findings, 6, 30_000);
    const findings = messages.map(
      (message) => JSON.parse(message.value?.toString() ?? "{}") as Finding,
    );
    expect(findings).toHaveLength(6);
    // One finding, one partition: every message keyed by the decision id.
    expect(new Set(messages.map((message) => message.key?.toString()))).toEqual(
      new Set([decision.decision_id]),
    );
    for (const finding of findings) {
      validate(finding);
      expect(validate.errors ?? []).toEqual([]);
      expect(finding.finding_info["uid"]).toBe(decision.decision_id);
    }

    // The Create is written before the revocation starts, and is the all-in-one's finding.
    const [create, ...updates] = findings;
    expect(create).toEqual(decisionFinding(decision, version));
    expect(create?.activity_name).toBe("Create");
    expect(updates.map((update) => update.activity_name)).toEqual(
      Array(5).fill("Update"),
    );
    const auditSentences = audit
      .map(
        (message) =>
          (
            JSON.parse(message.value?.toString() ?? "{}") as {
              sentence: string;
            }
          ).sentence,
      )
      .sort();
    expect(updates.map((update) => update["message"]).sort()).toEqual(
      auditSentences,
    );
    expect(new Set(updates.map((update) => update.metadata["uid"])).size).toBe(
      5,
    );

    expect(
      await scrapeMetric(opsPort, "warden_revoker_findings_total", {
        activity: "create",
      }),
    ).toBe(1);
    expect(
      await scrapeMetric(opsPort, "warden_revoker_findings_total", {
        activity: "update",
      }),
    ).toBe(5);
  });
});
