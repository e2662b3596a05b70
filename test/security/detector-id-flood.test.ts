import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JetStreamManager, NatsConnection } from "nats";
import {
  connectNats,
  ensureDecisionsStream,
  type CanonicalEvent,
  type DecisionV1,
} from "@warden/shared";
import { agentEvent } from "../support/detector-events.js";
import { useKafkaNamespace } from "../support/kafka-namespace.js";
import { scrapeMetric } from "../support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "../support/service.js";
import { natsConfig, testLogger } from "../support/stack.js";

const MAX_AGENTS = 2_000;
const MAX_AGENTS_PER_TENANT = 1_000;
const FLOOD_IDS = 50_000;
const BATCH = 5_000;

/** Resident and peak resident set of a process, from the kernel, in MiB. */
function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`, "u").exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

// Issue 16, High 5: an agent-id flood from one tenant evicted every tenant's windows (one
// global least-recently-active cap) or, uncapped, grew the detector to its pod limit. Against
// the running detector service: one tenant sends 50,000 new agent ids between the two halves of
// another tenant's runaway burst; the burst must still be seen whole.
describe("an agent-id flood from one tenant leaves the others' state alone", () => {
  const { names, namespace, kafka } = useKafkaNamespace("sec-flood");
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let detector: RunningService;
  let opsPort: number;

  beforeAll(async () => {
    nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-flood-test",
    });
    manager = await nats.jetstreamManager();
    await ensureDecisionsStream(manager, names);
    opsPort = await freePort();
    detector = startService("services/detector/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      DETECTOR_BURST_MAX_CALLS: "5",
      DETECTOR_BURST_WINDOW: "10s",
      DETECTOR_MAX_AGENTS: String(MAX_AGENTS),
      DETECTOR_MAX_AGENTS_PER_TENANT: String(MAX_AGENTS_PER_TENANT),
    });
    await eventually(
      "the detector to be ready",
      async () =>
        (
          await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(
            () => undefined,
          )
        )?.ok || undefined,
      90_000,
    );
  });
  afterAll(async () => {
    await detector?.stop();
    await manager?.streams.delete(names.decisionsStream).catch(() => undefined);
    await nats?.drain();
  });

  it("keeps the victim tenant's windows and decisions through the flood, in bounded memory", async () => {
    const producer = kafka().producer();
    await producer.connect();
    const send = async (events: CanonicalEvent[]) => {
      for (let from = 0; from < events.length; from += BATCH)
        await producer.send({
          topic: names.topics.events,
          messages: events.slice(from, from + BATCH).map((event) => ({
            key: event.agent.id,
            value: JSON.stringify(event),
          })),
        });
    };
    let sent = 0;
    const scored = async (): Promise<void> => {
      const target = sent;
      await eventually(
        `the detector to score ${target} events`,
        async () =>
          (await scrapeMetric(opsPort, "warden_detector_events_total")) >=
          target
            ? true
            : undefined,
        120_000,
      );
    };
    const start = Date.now();
    const acme = (agent: string, index: number) => ({
      ...agentEvent(agent, start + index * 100, index),
      tenant: "acme",
    });
    // The first half of acme's runaway burst (3 calls; the rule fires at the 6th in 10 s) and
    // a calm acme agent, then the flood.
    const before = [0, 1, 2].map((i) => acme("acme-runaway", i));
    before.push(acme("acme-calm", 0));
    await send(before);
    sent += before.length;
    await scored();
    const baseline = memoryMiB(detector.child.pid ?? 0);

    const figures: string[] = [];
    for (const half of [0, 1]) {
      const flood = Array.from({ length: FLOOD_IDS / 2 }, (_, i) => {
        const index = half * (FLOOD_IDS / 2) + i;
        return {
          ...agentEvent(`flood-${index}`, start + 250 + (index % 50), 0),
          tenant: "flood",
        };
      });
      await send(flood);
      sent += flood.length;
      await scored();
      const memory = memoryMiB(detector.child.pid ?? 0);
      const active = await scrapeMetric(
        opsPort,
        "warden_detector_active_agents",
      );
      figures.push(
        `after ${(half + 1) * (FLOOD_IDS / 2)} flood ids: ${active} agents in memory, RSS ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)})`,
      );
      expect(active).toBeLessThanOrEqual(MAX_AGENTS);
    }
    const evicted = await scrapeMetric(
      opsPort,
      "warden_detector_evicted_agents",
    );
    expect(evicted).toBeGreaterThanOrEqual(FLOOD_IDS - MAX_AGENTS_PER_TENANT);

    // The second half of the burst: acme's runaway is revoked, so its first three calls
    // survived 50,000 other agents; the calm agent is left alone.
    const after = [3, 4, 5].map((i) => acme("acme-runaway", i));
    after.push(acme("acme-calm", 6));
    await send(after);
    sent += after.length;
    await scored();
    await producer.disconnect();
    const decision = await eventually("acme's runaway to be decided", () =>
      manager.streams
        .getMessage(names.decisionsStream, {
          last_by_subj: names.decisionSubject("acme", "acme-runaway"),
        })
        .then(
          (message) => message.json<DecisionV1>(),
          () => undefined,
        ),
    );
    expect(decision, detector.output()).toMatchObject({
      action: "revoke",
      tenant: "acme",
      agent_id: "acme-runaway",
      trigger_event_id: "event-acme-runaway-5",
    });
    await expect(
      manager.streams.getMessage(names.decisionsStream, {
        last_by_subj: names.decisionSubject("acme", "acme-calm"),
      }),
    ).rejects.toThrow();
    // Figures for the note (the bounds themselves are the assertions above).
    console.log(
      [
        `id flood: ${FLOOD_IDS} new agent ids of one tenant, DETECTOR_MAX_AGENTS ${MAX_AGENTS}, per tenant ${MAX_AGENTS_PER_TENANT}`,
        `before the flood: RSS ${baseline.rss.toFixed(0)} MiB`,
        ...figures,
        `${evicted} agents evicted; acme's split burst revoked (${decision.trigger_event_id})`,
      ].join("\n"),
    );
  });
});
