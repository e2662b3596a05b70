import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, Events, type NatsConnection } from "nats";
import { Registry } from "prom-client";
import { pino } from "pino";
import {
  auditRecordSigningKey,
  connectAdmin,
  connectNats,
  createKafka,
  createNames,
  readKafkaConfig,
  readNatsConfig,
  revokedAgentKey,
} from "@warden/shared";
import {
  createEnforcer,
  createKafkaSink,
  type Enforcer,
} from "@warden/gateway-sdk";
import {
  startAuthStack,
  type AuthStack,
  type Principal,
} from "../support/auth-stack.js";
import { auditEvent } from "../support/events.js";
import { topicSize } from "../support/kafka.js";
import { scrapeMetric } from "../support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "../support/service.js";
import { quietLogger } from "../support/stack.js";

const ACME_TOKEN = "acme-gateway-token-broker-auth";
const BURST_MAX_CALLS = 5;
// The test's own stack has no other user: its names carry no namespace, as in production.
const names = createNames("");
const silent = pino({ level: "silent" });

/** Permission violations the NATS server logged, one line each. */
function natsViolations(stack: AuthStack): string[] {
  return readFileSync(stack.natsLog, "utf8")
    .split("\n")
    .filter((line) => line.includes("Violation"));
}

async function natsAs(
  stack: AuthStack,
  principal: Principal,
): Promise<NatsConnection> {
  return connectNats({
    config: readNatsConfig(stack.env(principal)),
    logger: quietLogger,
    name: `broker-auth-${principal}`,
  });
}

/** The permission errors the server sent this connection, as `<operation> <subject>`. */
function permissionErrors(connection: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const status of connection.status()) {
      const context = (
        status as { permissionContext?: { operation: string; subject: string } }
      ).permissionContext;
      if (status.type === Events.Error && context)
        seen.push(`${context.operation} ${context.subject}`);
    }
  })();
  return seen;
}

// Issue 16, High 3 ("NATS is fully trusted", "compose and Kubernetes ship NATS and Kafka
// without auth") and High 1 (direct writes to agent.events.v1): the stack with the shipped
// broker permissions (deploy/nats/warden-auth.conf, deploy/local/kafka-acls.mjs), every
// service on its own credentials.
describe("brokers with authentication and the shipped permissions", () => {
  let stack: AuthStack;
  const services: Record<string, RunningService> = {};
  const opsPorts: Record<string, number> = {};
  const dataDir = mkdtempSync(join(tmpdir(), "warden-broker-auth-"));
  let enforcer: Enforcer | undefined;
  const runaway = `runaway-${randomBytes(4).toString("hex")}`;
  const describeAll = (): string =>
    Object.entries(services)
      .map(([name, service]) => `--- ${name}\n${service.output()}`)
      .join("\n");

  beforeAll(async () => {
    stack = await startAuthStack();
    const revokerPort = await freePort();
    for (const name of ["ingest", "baseline", "detector", "revoker"])
      opsPorts[name] = await freePort();
    const start = (name: Principal, extra: Record<string, string>) => {
      services[name] = startService(`services/${name}/dist/main.js`, {
        ...stack.env(name),
        WARDEN_OPS_PORT: String(opsPorts[name]),
        ...extra,
      });
    };
    start("ingest", {
      INGEST_GATEWAY_TOKENS: `acme-gw:${auditRecordSigningKey(ACME_TOKEN).toString("hex")}:acme`,
    });
    start("baseline", { CHDB_PATH: join(dataDir, "chdb") });
    start("detector", {
      DETECTOR_BURST_MAX_CALLS: String(BURST_MAX_CALLS),
      DETECTOR_BURST_WINDOW: "10s",
    });
    start("revoker", {
      REVOKER_ISSUER: `http://127.0.0.1:${revokerPort}`,
      REVOKER_HTTP_PORT: String(revokerPort),
      REVOKER_SIGNING_KEY_FILE: join(dataDir, "signing-key.json"),
    });
    for (const name of Object.keys(services))
      await eventually(
        `${name} to be ready on the authenticated brokers`,
        async () =>
          (
            await fetch(`http://127.0.0.1:${opsPorts[name]}/readyz`).catch(
              () => undefined,
            )
          )?.ok || undefined,
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${describeAll()}`);
      });
    enforcer = createEnforcer({
      servers: [stack.natsUrl],
      natsOptions: {
        user: "warden-gateway",
        pass: stack.password("nats", "gateway"),
        inboxPrefix: "_INBOX_warden-gateway",
      },
      tenant: "acme",
      keys: { jwksUrl: `http://127.0.0.1:${revokerPort}/jwks.json` },
      registry: new Registry(),
      logger: quietLogger,
    });
    await enforcer.start();
  }, 240_000);

  afterAll(async () => {
    await enforcer?.stop();
    for (const service of Object.values(services)) await service.stop();
    await stack?.down();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("a gateway's runaway agent is revoked through every service on its own credentials", async () => {
    const sink = createKafkaSink({
      brokers: [stack.kafkaBrokers],
      topic: names.topics.audit,
      sasl: {
        mechanism: "scram-sha-256",
        username: "warden-gateway",
        password: stack.password("kafka", "gateway"),
      },
      credential: { gateway: "acme-gw", token: ACME_TOKEN },
      logger: silent,
    });
    const events = Array.from({ length: BURST_MAX_CALLS + 3 }, (_, index) => ({
      key: runaway,
      value: Buffer.from(auditEvent(runaway, index)),
    }));
    await sink.send(events, AbortSignal.timeout(30_000));
    await sink.close();

    // gateway → agent.audit.v1 → ingest → agent.events.v1 → detector → WARDEN_DECISIONS →
    // revoker → signed kill switch (KV and subject) → the gateway's enforcer.
    await eventually(
      "the enforcer to refuse the runaway agent",
      () =>
        Promise.resolve(
          enforcer?.mayAct(runaway, undefined, "acme").allowed === false
            ? true
            : undefined,
        ),
      90_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\n${natsViolations(stack).join("\n")}\n${describeAll()}`,
      );
    });
    await enforcer?.resync();
    expect(enforcer?.mayAct(runaway, undefined, "acme").allowed).toBe(false);
    // The baseline service read the same events with its own ACLs and stored them.
    await eventually("the baseline service to store the events", async () =>
      (await scrapeMetric(
        opsPorts["baseline"] ?? 0,
        "warden_baseline_rows_inserted_total",
        {
          table: "events",
        },
      )) >= events.length
        ? true
        : undefined,
    );
    expect(
      await scrapeMetric(
        opsPorts["revoker"] ?? 0,
        "warden_revoker_kill_switch_total",
      ),
    ).toBeGreaterThan(0);
    // No service needed a subject its permissions leave out.
    expect(natsViolations(stack)).toEqual([]);
  });

  it("no gateway, other service or anonymous client writes agent.events.v1", async () => {
    const adminConfig = readKafkaConfig(stack.env("admin"));
    const admin = await connectAdmin(
      createKafka({ config: adminConfig, logger: quietLogger }),
      adminConfig,
    );
    const before = await topicSize(admin, names.topics.events);
    const produce = async (env: Record<string, string>): Promise<string> => {
      const producer = createKafka({
        config: readKafkaConfig(env),
        logger: quietLogger,
      }).producer({
        retry: { retries: 0 },
      });
      try {
        await producer.connect();
        await producer.send({
          topic: names.topics.events,
          messages: [{ key: runaway, value: auditEvent(runaway, 99) }],
        });
        return "written";
      } catch (error) {
        return (error as Error).message;
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    };
    const refusals: Record<string, string> = {};
    for (const principal of [
      "gateway",
      "detector",
      "revoker",
      "baseline",
    ] as const)
      refusals[principal] = await produce(stack.env(principal));
    refusals["anonymous"] = await produce({
      KAFKA_BROKERS: stack.kafkaBrokers,
    });
    refusals["wrong password"] = await produce({
      ...stack.env("ingest"),
      KAFKA_SASL_PASSWORD: "not-the-password",
    });
    for (const principal of ["gateway", "detector", "revoker", "baseline"])
      expect(refusals[principal], principal).toMatch(/not authorized/iu);
    expect(refusals["anonymous"]).not.toBe("written");
    expect(refusals["wrong password"]).toMatch(/authentication failed/iu);
    // The one principal allowed to, can (the refusals above are the ACLs, not a broken client).
    const ingestProducer = createKafka({
      config: readKafkaConfig(stack.env("ingest")),
      logger: quietLogger,
    }).producer();
    await ingestProducer.connect();
    await ingestProducer.send({
      topic: names.topics.auditDlq,
      messages: [{ key: "probe", value: "probe" }],
    });
    await ingestProducer.disconnect();
    expect(await topicSize(admin, names.topics.events)).toBe(before);
    await admin.disconnect();
  });

  it("no gateway or anonymous client publishes a decision, kill switch or reinstate on NATS", async () => {
    for (const options of [
      {},
      { user: "warden-gateway", pass: "not-the-password" },
    ]) {
      const refused = await connect({
        servers: stack.natsUrl,
        ...options,
        reconnect: false,
      }).then(
        async (connection) => {
          await connection.close();
          return "connected";
        },
        (error: { code?: string }) => error.code,
      );
      expect(refused).toBe("AUTHORIZATION_VIOLATION");
    }
    const gateway = await natsAs(stack, "gateway");
    const detector = await natsAs(stack, "detector");
    const revoker = await natsAs(stack, "revoker");
    const tap = await natsAs(stack, "gateway");
    const gatewayErrors = permissionErrors(gateway);
    const detectorErrors = permissionErrors(detector);
    const tapped: string[] = [];
    tap.subscribe(names.killSwitchSubjects, {
      callback: (_, message) => tapped.push(message.subject),
    });
    await tap.flush();
    const manager = await revoker.jetstreamManager();
    const decisionsBefore = (await manager.streams.info(names.decisionsStream))
      .state.messages;
    const revokedKey = revokedAgentKey("acme", runaway);
    const reinstate = JSON.stringify({
      action: "reinstate",
      tenant: "acme",
      agent_id: runaway,
      issued_at: "2999-01-01T00:00:00Z",
    });

    // A forged reinstate from a gateway and from the detector: the server drops both, so no
    // subscriber gets them (a flush on each side: the publish was processed, any delivery sent).
    gateway.publish(names.killSwitchSubject("acme", runaway), reinstate);
    detector.publish(names.killSwitchSubject("acme", runaway), reinstate);
    await gateway.flush();
    await detector.flush();
    await tap.flush();
    expect(tapped).toEqual([]);
    // A forged decision, a rewrite of the revoked-agents bucket, deleting the decisions stream,
    // reading the decisions or the revoker's replies.
    await expect(
      gateway
        .jetstream()
        .publish(names.decisionSubject("acme", "victim"), "{}", {
          timeout: 3_000,
        }),
    ).rejects.toThrow();
    const bucket = await gateway
      .jetstream()
      .views.kv(names.revokedAgentsBucket, { bindOnly: true });
    await expect(bucket.delete(revokedKey)).rejects.toThrow();
    await expect(
      (await gateway.jetstreamManager()).streams.delete(names.decisionsStream),
    ).rejects.toThrow();
    gateway.subscribe(names.decisionSubjects);
    gateway.subscribe("_INBOX_warden-revoker.>");
    await gateway.flush();

    expect(
      (await manager.streams.info(names.decisionsStream)).state.messages,
    ).toBe(decisionsBefore);
    expect((await bucket.get(revokedKey))?.operation).toBe("PUT");
    await enforcer?.resync();
    expect(enforcer?.mayAct(runaway, undefined, "acme").allowed).toBe(false);
    await eventually("every refusal to be reported", () =>
      Promise.resolve(
        gatewayErrors.length >= 5 && detectorErrors.length >= 1
          ? true
          : undefined,
      ),
    );
    expect(gatewayErrors).toEqual(
      expect.arrayContaining([
        `publish ${names.killSwitchSubject("acme", runaway)}`,
        `publish ${names.decisionSubject("acme", "victim")}`,
        `subscription ${names.decisionSubjects}`,
        "subscription _INBOX_warden-revoker.>",
      ]),
    );
    expect(detectorErrors).toEqual([
      `publish ${names.killSwitchSubject("acme", runaway)}`,
    ]);

    // The revoker, which owns the subject, does reach the tap: the silence above is the permissions.
    revoker.publish(names.killSwitchSubject("acme", "probe"), "not signed");
    await revoker.flush();
    await tap.flush();
    expect(tapped).toEqual([names.killSwitchSubject("acme", "probe")]);
    for (const connection of [gateway, detector, revoker, tap])
      await connection.close();
  });
});
