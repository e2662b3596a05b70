import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import type { KV, NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureTopics,
  openBaselinesBucket,
} from "@warden/shared";
import {
  agentBaselineKey,
  decodeBaseline,
  peerBaselineKey,
  tenantBaselineKey,
  type BaselineModel,
} from "@warden/shared";
import {
  generateTraffic,
  type AgentProfile,
} from "./support/baseline-traffic.js";
import {
  eventually,
  startService,
  type RunningService,
} from "./support/service.js";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";

const BUSINESS_HOURS = [9, 10, 11, 12, 13, 14, 15, 16];
const ALL_DAY = Array.from({ length: 24 }, (_, hour) => hour);

const profiles: readonly AgentProfile[] = [
  {
    id: "support.bot-1",
    kind: "support",
    callsPerMinute: 6,
    everyNthMinute: 5,
    activeHours: ALL_DAY,
    actions: [
      ["crm.contacts.read", 6],
      ["crm.tickets.read", 3],
      ["crm.tickets.update", 1],
    ],
    resources: ["contacts", "tickets"],
    deniedProbability: 0.1,
    bytesPerCall: 2000,
  },
  {
    id: "support-bot-2",
    kind: "support",
    callsPerMinute: 3,
    everyNthMinute: 4,
    activeHours: BUSINESS_HOURS,
    actions: [
      ["crm.tickets.read", 5],
      ["mail.send", 2],
    ],
    resources: ["tickets", "outbox", "templates"],
    deniedProbability: 0,
    bytesPerCall: 500,
  },
  {
    id: "etl",
    kind: "pipeline",
    callsPerMinute: 10,
    everyNthMinute: 10,
    activeHours: ALL_DAY,
    actions: [["warehouse.load", 1]],
    resources: ["warehouse"],
    deniedProbability: 0.02,
    bytesPerCall: 100_000,
  },
];

const TENANT = "acme.eu";

describe("baselines published to NATS KV match the generated traffic", () => {
  const names = uniqueNames("baseline-model");
  const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-model-"));
  const events = generateTraffic(profiles, {
    endMs: Date.now(),
    days: 2,
    seed: 42,
    tenant: TENANT,
  });
  let kafka: Kafka;
  let admin: Admin;
  let nats: NatsConnection;
  let kv: KV;
  let service: RunningService;

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "test",
    });
    kv = await openBaselinesBucket(nats, names);
    const producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < events.length; start += 400) {
      await producer.send({
        topic: names.topics.events,
        messages: events.slice(start, start + 400).map((event) => ({
          key: event.agent.id,
          value: JSON.stringify(event),
        })),
      });
    }
    await producer.disconnect();
    service = startService("services/baseline/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      CHDB_PATH: chdbPath,
      BASELINE_REFRESH_INTERVAL: "2s",
      BASELINE_MIN_HISTORY_EVENTS: "100",
      BASELINE_MIN_HISTORY_SPAN: "12h",
    });
  });
  afterAll(async () => {
    await service?.stop();
    await kv?.destroy().catch(() => undefined);
    await nats?.drain();
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  /** The baseline under `key` once it covers `expectedEvents`. */
  function published(
    key: string,
    expectedEvents: number,
  ): Promise<BaselineModel> {
    return eventually(
      `baseline ${key} over ${expectedEvents} events`,
      async () => {
        const entry = await kv.get(key);
        if (!entry || entry.value.length === 0) return undefined;
        const decoded = decodeBaseline(entry.value);
        if (!decoded.ok) throw new Error(decoded.problem);
        return decoded.model.history.events === expectedEvents
          ? decoded.model
          : undefined;
      },
      90_000,
    );
  }

  const eventsOf = (id: string) => events.filter((e) => e.agent.id === id);

  it("learns each agent's rate, volume, vocabulary, denials and hours", async () => {
    for (const profile of profiles) {
      const own = eventsOf(profile.id);
      const model = await published(
        agentBaselineKey(TENANT, profile.id),
        own.length,
      );
      const where = `${profile.id}: ${JSON.stringify(model)}`;
      expect(model.scope, where).toEqual({
        level: "agent",
        tenant: TENANT,
        agentId: profile.id,
        agentKind: profile.kind,
      });
      expect(model.trusted, where).toBe(true);
      expect(model.ratePerMinute.median, where).toBe(profile.callsPerMinute);
      expect(model.ratePerMinute.max, where).toBe(profile.callsPerMinute + 1);
      expect(model.ratePerMinute.mad, where).toBeLessThanOrEqual(1);
      expect(
        Math.abs(model.bytesPerCall.median - profile.bytesPerCall),
        where,
      ).toBeLessThanOrEqual(profile.bytesPerCall * 0.02);
      const actions = model.vocabulary.actions.top.map(([name]) => name);
      expect([...actions].sort(), where).toEqual(
        profile.actions.map(([name]) => name).sort(),
      );
      const heaviest = [...profile.actions].sort((a, b) => b[1] - a[1])[0]?.[0];
      expect(actions[0], where).toBe(heaviest);
      expect(model.vocabulary.resources.distinct, where).toBe(
        profile.resources.length,
      );
      expect(model.vocabulary.credentials.top, where).toEqual([
        [`${profile.id}-key`, own.length],
      ]);
      expect(
        Math.abs(model.deniedRate - profile.deniedProbability),
        where,
      ).toBeLessThan(0.03);
      const mask = profile.activeHours.reduce(
        (bits, hour) => bits | (1 << hour),
        0,
      );
      expect(model.activeHoursOfDay, where).toBe(mask);
      // Only the business-hours agent is periodic; 24/7 agents get no profile.
      if (profile.activeHours.length < 24) {
        expect(model.hourOfWeek, where).toHaveLength(168);
        const busy = model.hourOfWeek?.filter((calls) => calls > 0).length ?? 0;
        expect(busy, where).toBeGreaterThan(0);
        for (const [index, calls] of (model.hourOfWeek ?? []).entries())
          if (!profile.activeHours.includes(index % 24))
            expect(calls, where).toBe(0);
      } else {
        expect(model.hourOfWeek, where).toBeNull();
      }
    }
  });

  it("publishes peer-group and tenant baselines over their agents", async () => {
    const support = profiles.filter((p) => p.kind === "support");
    const supportEvents = support.reduce(
      (sum, p) => sum + eventsOf(p.id).length,
      0,
    );
    const peer = await published(
      peerBaselineKey(TENANT, "support"),
      supportEvents,
    );
    expect(peer.scope).toEqual({
      level: "peer",
      tenant: TENANT,
      agentKind: "support",
    });
    expect(peer.history.agents).toBe(2);
    expect(peer.ratePerMinute.max).toBe(7);
    expect(peer.vocabulary.actions.top.map(([name]) => name).sort()).toEqual([
      "crm.contacts.read",
      "crm.tickets.read",
      "crm.tickets.update",
      "mail.send",
    ]);
    const tenant = await published(tenantBaselineKey(TENANT), events.length);
    expect(tenant.history.agents).toBe(profiles.length);
    expect(tenant.ratePerMinute.max).toBe(11);
    expect(tenant.windowEndMs - tenant.windowStartMs).toBe(14 * 86_400_000);
    expect(tenant.computedAtMs).toBeGreaterThanOrEqual(tenant.windowEndMs);
  });
});
