import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, jwtVerify } from "jose";
import {
  connectAdmin,
  connectNats,
  createClickHouse,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  readClickHouseConfig,
} from "@warden/shared";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";
import { committedTotal } from "./support/kafka.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import { cleanUpNats } from "./support/ssf-revoker.js";

// The walking skeleton: gateway → Kafka → ingest → baseline (chDB) and detector → JetStream →
// revoker → a signed SET at an HTTP receiver. Every hop is a separate process on the real stack.
describe("end to end over the real stack", () => {
  const names = uniqueNames("e2e");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/, "");
  const dataDir = mkdtempSync(join(tmpdir(), "warden-e2e-"));
  const services: RunningService[] = [];
  let receiver: Server | undefined;

  afterAll(async () => {
    for (const service of services) await service.stop();
    receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("revokes a runaway agent with a verifiable SET and stores its events in ClickHouse", async () => {
    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "e2e-test",
    });
    await ensureDecisionsStream(await nats.jetstreamManager(), names);

    const sets: { contentType: string | undefined; body: string }[] = [];
    receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        sets.push({ contentType: request.headers["content-type"], body });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) =>
      receiver?.listen(0, "127.0.0.1", resolve),
    );
    const receiverAddress = receiver.address();
    const receiverUrl = `http://127.0.0.1:${typeof receiverAddress === "object" && receiverAddress ? receiverAddress.port : 0}/events`;
    const jwksPort = await freePort();
    const issuer = `http://127.0.0.1:${jwksPort}`;

    const common = { WARDEN_NAMESPACE: namespace, WARDEN_OPS_PORT: "0" };
    const chdbPath = join(dataDir, "chdb");
    services.push(
      startService("services/ingest/dist/main.js", common),
      startService("services/baseline/dist/main.js", {
        ...common,
        CHDB_PATH: chdbPath,
      }),
      startService("services/detector/dist/main.js", {
        ...common,
        DETECTOR_BURST_MAX_CALLS: "5",
        DETECTOR_BURST_WINDOW: "10s",
      }),
      startService("services/revoker/dist/main.js", {
        ...common,
        REVOKER_ISSUER: issuer,
        REVOKER_HTTP_PORT: String(jwksPort),
        REVOKER_SIGNING_KEY_FILE: join(dataDir, "signing-key.json"),
        REVOKER_PUSH_URL: receiverUrl,
      }),
    );
    const [, baseline] = services;
    const describeAll = (): string =>
      services.map((service) => service.output()).join("\n");

    const agentId = `agent:runaway/${randomUUID().slice(0, 8)}`;
    const start = Date.now();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: Array.from({ length: 8 }, (_, i) => ({
        key: agentId,
        value: JSON.stringify({
          schema: "agent-audit/v1",
          event_id: `e2e-${randomUUID()}`,
          time: new Date(start + i * 50).toISOString(),
          tenant: "acme",
          agent: { id: agentId, kind: "report-job" },
          credential: { id: "key_e2e", type: "api_key" },
          action: { name: "crm.contacts.export", verb: "export" },
          resource: { id: "crm:contacts", sensitivity: "restricted" },
          outcome: "success",
          bytes_out: 1000,
        }),
      })),
    });
    await producer.disconnect();

    const set = await eventually(
      "a SET at the receiver",
      () => Promise.resolve(sets[0]),
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describeAll()}`);
    });
    expect(set.contentType).toBe("application/secevent+jwt");
    const { payload, protectedHeader } = await jwtVerify(
      set.body,
      createRemoteJWKSet(new URL(`${issuer}/jwks.json`)),
      {
        issuer,
        typ: "secevent+jwt",
      },
    );
    expect(protectedHeader.alg).toBe("RS256");
    // The operator's all-tenant stream names the agent under its tenant's issuer.
    expect(payload["sub_id"]).toMatchObject({
      format: "iss_sub",
      sub: agentId,
    });
    expect(Object.keys(payload["events"] as object)).toEqual([
      "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
    ]);
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBeUndefined();

    await eventually("baseline to commit all 8 events", async () => {
      const committed = await committedTotal(
        admin,
        names.groups.baseline,
        names.topics.events,
      );
      return committed === 8 ? true : undefined;
    });
    expect(await baseline?.stop(), describeAll()).toBe(0);
    const clickhouse = await createClickHouse(
      readClickHouseConfig({
        CLICKHOUSE_DATABASE: "warden",
        CHDB_PATH: chdbPath,
      }),
    );
    const rows = await (
      await clickhouse.query({
        query:
          "SELECT toUInt32(count()) AS events FROM warden.events WHERE agent_id = {agent:String}",
        query_params: { agent: agentId },
        format: "JSONEachRow",
      })
    ).json();
    await clickhouse.close();
    expect(rows).toEqual([{ events: 8 }]);

    for (const service of services)
      expect(await service.stop(), describeAll()).toBe(0);
    // The revoker's streams reserve their byte caps on the server: leave none behind.
    await cleanUpNats(nats, names);
    await nats.drain();
    await admin.deleteTopics({ topics: Object.values(names.topics) });
    await admin.disconnect();
  });
});
