import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planSimulation, type Generated } from "./generator.js";
import { runSimulation } from "./run.js";
import type { EventSink } from "./sinks/sink.js";

const START = Date.parse("2026-11-02T09:00:00Z");

// A sink that records what it got and when (on the test's clock): the run loop is the unit here.
function recordingSink(clock: { now: number }): EventSink & {
  batches: { at: number; events: Generated[] }[];
  closed: number;
} {
  const sink = {
    description: "memory",
    batches: [] as { at: number; events: Generated[] }[],
    closed: 0,
    write(batch: readonly Generated[]) {
      sink.batches.push({ at: clock.now, events: [...batch] });
      return Promise.resolve();
    },
    close() {
      sink.closed += 1;
      return Promise.resolve({ bytes: 0, rejected: 0 });
    },
  };
  return sink;
}

const plan = planSimulation({
  seed: 4,
  agents: 30,
  startMs: START,
  durationMs: 3_600_000,
  attacks: [{ kind: "bulk_export", count: 1 }],
  traps: [],
  learningFraction: 0.5,
});

describe("runSimulation", () => {
  it("in fast mode sends full batches, writes labels, and closes the sink once", async () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    const labelsPath = join(
      mkdtempSync(join(tmpdir(), "warden-sim-")),
      "labels.ndjson",
    );
    const summary = await runSimulation({
      plan,
      sink,
      batchSize: 100,
      live: false,
      labelsPath,
    });
    const sizes = sink.batches.map((batch) => batch.events.length);
    expect(sizes.slice(0, -1).every((size) => size === 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(summary.events);
    expect(sink.closed).toBe(1);
    const labels = readFileSync(labelsPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { kind: string; event_count: number });
    expect(labels).toHaveLength(1);
    expect(labels[0]?.kind).toBe("bulk_export");
    expect(labels[0]?.event_count).toBe(summary.attack_events);
    expect(summary.attack_events).toBeGreaterThan(20);
  });

  it("in live mode never sends an event before its time comes round on the clock", async () => {
    const clock = { now: START };
    const sink = recordingSink(clock);
    const summary = await runSimulation({
      plan,
      sink,
      batchSize: 50,
      live: true,
      labelsPath: undefined,
      now: () => clock.now,
      wait: (ms) => {
        clock.now += ms;
        return Promise.resolve();
      },
    });
    expect(summary.events).toBeGreaterThan(0);
    for (const batch of sink.batches)
      for (const generated of batch.events)
        expect(generated.timeMs).toBeLessThanOrEqual(batch.at);
    // Nor holds them back: each batch goes out within the longest wait of its oldest event.
    for (const batch of sink.batches)
      expect(batch.at - (batch.events[0]?.timeMs ?? 0)).toBeLessThanOrEqual(
        1_000,
      );
  });

  it("stops at an interrupt, still closing the sink and reporting what was sent", async () => {
    const clock = { now: 0 };
    const sink = recordingSink(clock);
    const abort = new AbortController();
    const summary = await runSimulation({
      plan,
      sink: {
        ...sink,
        write: async (batch) => {
          await sink.write(batch);
          abort.abort();
        },
      },
      batchSize: 10,
      live: false,
      labelsPath: undefined,
      signal: abort.signal,
    });
    expect(summary.interrupted).toBe(true);
    expect(summary.events).toBe(10);
    expect(sink.closed).toBe(1);
  });
});
