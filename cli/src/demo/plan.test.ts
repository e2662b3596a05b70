import { describe, expect, it } from "vitest";
import { generateEvents } from "@warden/simulator";
import { DEMO_LOOP_RATE, planDemoTraffic } from "./plan.js";

const options = {
  seed: 1,
  agents: 100,
  rate: 20,
  learningMs: 30_000,
  nowMs: Date.UTC(2026, 10, 23, 13, 0, 0),
};

/** Events of the first `ms` of the plan, in order. */
function firstEvents(traffic: ReturnType<typeof planDemoTraffic>, ms: number) {
  const events = [];
  for (const generated of generateEvents(traffic.plan)) {
    if (generated.timeMs >= options.nowMs + ms) break;
    events.push(generated);
  }
  return events;
}

describe("the demo's traffic plan", () => {
  it("is the same for the same seed and names the agent that will loop", () => {
    const a = planDemoTraffic(options);
    const b = planDemoTraffic(options);
    expect(a.runaway).toEqual(b.runaway);
    expect(firstEvents(a, 40_000).map((g) => g.event)).toEqual(
      firstEvents(b, 40_000).map((g) => g.event),
    );
    expect(a.runaway.agentId).toMatch(/^agent:[a-z-]+\/\d+$/);
    expect(planDemoTraffic({ ...options, seed: 2 }).runaway).not.toEqual(
      a.runaway,
    );
  });

  it("keeps the learning phase free of the loop, then loops past the detector's 100 calls in 10 s", () => {
    const traffic = planDemoTraffic(options);
    expect(traffic.runaway.startMs).toBe(options.nowMs + options.learningMs);
    const events = firstEvents(traffic, options.learningMs + 20_000);
    const loop = events.filter((g) => g.episode?.kind === "runaway_loop");
    expect(loop.every((g) => g.timeMs >= traffic.runaway.startMs)).toBe(true);
    expect(
      loop.every((g) => g.event.agent.id === traffic.runaway.agentId),
    ).toBe(true);
    // 20 s of a 20/s Poisson loop: about 400 calls, and any 10 s of it well over 100.
    expect(loop.length).toBeGreaterThan(10 * DEMO_LOOP_RATE);
    const firstTen = loop.filter(
      (g) => g.timeMs < traffic.runaway.startMs + 10_000,
    );
    expect(firstTen.length).toBeGreaterThan(100);
    // Normal traffic is "about" the rate: between a third and three times it, whatever the hour.
    const normal = events.length - loop.length;
    const seconds = (options.learningMs + 20_000) / 1000;
    expect(normal / seconds).toBeGreaterThan(options.rate / 3);
    expect(normal / seconds).toBeLessThan(options.rate * 3);
  });
});
