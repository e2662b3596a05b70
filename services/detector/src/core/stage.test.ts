import { describe, expect, it } from "vitest";
import { Registry, createLogger, type DecisionV1 } from "@warden/shared";
import { createDetectorMetrics } from "../metrics.js";
import { DEFAULT_DETECTOR_LIMITS } from "./detectors/types.js";
import { createScoringEngine } from "./engine.js";
import { event, T0 } from "./fixtures.test-support.js";
import { DEFAULT_POLICY } from "./policy.js";
import { createDetectorStage } from "./stage.js";

const logger = createLogger({ level: "silent", service: "test" });

function setUp(dryRun: boolean) {
  const engine = createScoringEngine({
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: { ...DEFAULT_POLICY, dryRun },
    maxAgents: 100,
    idleEvictMs: 3_600_000,
  });
  const registry = new Registry();
  const published: { recorded: DecisionV1[]; acted: DecisionV1[] }[] = [];
  const stage = createDetectorStage({
    engine,
    metrics: createDetectorMetrics(registry),
    logger,
    decidedAt: (scored) => scored.time,
    ports: {
      publish: ({ recorded, acted }) => {
        published.push({ recorded: [...recorded], acted: [...acted] });
        return Promise.resolve();
      },
    },
  });
  return { stage, published, registry };
}

// 150 calls 20 ms apart: the absolute burst limit (100 per 10 s) revokes once.
const burst = () =>
  Array.from({ length: 150 }, (_, i) => ({
    event: event("runaway", T0 + i * 20),
  }));

describe("detector stage", () => {
  it("publishes a revoke for the record and for the revoker, and counts it", async () => {
    const { stage, published, registry } = setUp(false);
    const decisions = await stage.run(burst());
    expect(decisions.map((d) => d.action)).toEqual(["revoke"]);
    expect(published).toEqual([{ recorded: decisions, acted: decisions }]);
    const text = await registry.metrics();
    expect(text).toMatch(
      /warden_detector_decisions_total\{action="revoke",detector="[a-z_]+"\} 1/,
    );
    expect(text).toMatch(/warden_detector_events_total 150/);
  });

  it("records but never acts under a dry-run policy", async () => {
    const { stage, published, registry } = setUp(true);
    const decisions = await stage.run(burst());
    expect(decisions).toHaveLength(1);
    expect(published).toEqual([{ recorded: decisions, acted: [] }]);
    expect(await registry.metrics()).toMatch(
      /warden_detector_dry_run_decisions_total\{action="revoke"\} 1/,
    );
  });

  it("skips bytes that are not a canonical event, and re-observes restored events silently", async () => {
    const { stage, published } = setUp(false);
    const restored = burst().map((input) => ({ ...input, restoring: true }));
    const decisions = await stage.run([
      { bytes: Buffer.from("{not json"), where: { offset: 1 } },
      { bytes: null, where: { offset: 2 } },
      ...restored,
    ]);
    expect(decisions).toEqual([]);
    expect(published).toEqual([]);
  });

  it("does not count a batch whose publication failed, so its retry is not counted twice", async () => {
    const engine = createScoringEngine({
      limits: DEFAULT_DETECTOR_LIMITS,
      policy: DEFAULT_POLICY,
      maxAgents: 100,
      idleEvictMs: 3_600_000,
    });
    const registry = new Registry();
    const stage = createDetectorStage({
      engine,
      metrics: createDetectorMetrics(registry),
      logger,
      decidedAt: (scored) => scored.time,
      ports: { publish: () => Promise.reject(new Error("broker down")) },
    });
    await expect(stage.run(burst())).rejects.toThrow("broker down");
    expect(await registry.metrics()).not.toMatch(
      /warden_detector_decisions_total\{action="revoke",detector="[a-z_]+"\} 1/,
    );
  });
});
