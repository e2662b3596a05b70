import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDeduplicator } from "./dedup.js";
import { validAuditEvent } from "./hostile-input.js";
import { ingestBatch, type IngestPorts } from "./stage.js";

const options = {
  maxEventBytes: 64 * 1024,
  maxFutureSkewMs: 300_000,
  lateAfterMs: 300_000,
  nowMs: Date.parse("2026-11-02T10:00:00Z"),
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

function recordingPorts() {
  const forwarded: string[] = [];
  const deadLettered: { index: number; reason: string }[] = [];
  const ports: IngestPorts = {
    forward: (events) => {
      forwarded.push(...events.map(({ event }) => event.event_id));
      return Promise.resolve();
    },
    deadLetter: (messages) => {
      deadLettered.push(
        ...messages.map(({ index, reason }) => ({ index, reason })),
      );
      return Promise.resolve();
    },
  };
  return { ports, forwarded, deadLettered };
}

describe("ingest stage", () => {
  it("forwards accepted events, dead-letters rejected ones by position, drops duplicates", async () => {
    const [event] = fc.sample(validAuditEvent(), { numRuns: 1, seed: 3 });
    const dedup = createDeduplicator({ windowMs: 60_000, maxEntries: 100 });
    const { ports, forwarded, deadLettered } = recordingPorts();
    const outcomes = await ingestBatch(
      [encode(event), Buffer.from("{oops"), encode(event)],
      options,
      dedup,
      ports,
    );
    expect(outcomes.map((o) => o.kind)).toEqual([
      "accepted",
      "rejected",
      "duplicate",
    ]);
    expect(forwarded).toEqual([event?.event_id]);
    expect(deadLettered).toEqual([{ index: 1, reason: "invalid_json" }]);
    // Remembered once forwarded: the next batch's copy is a duplicate.
    const again = await ingestBatch([encode(event)], options, dedup, ports);
    expect(again[0]?.kind).toBe("duplicate");
  });

  it("remembers nothing when forwarding fails, so the retried batch is not lost as duplicates", async () => {
    const [event] = fc.sample(validAuditEvent(), { numRuns: 1, seed: 5 });
    const dedup = createDeduplicator({ windowMs: 60_000, maxEntries: 100 });
    const failing: IngestPorts = {
      forward: () => Promise.reject(new Error("broker down")),
      deadLetter: () => Promise.resolve(),
    };
    await expect(
      ingestBatch([encode(event)], options, dedup, failing),
    ).rejects.toThrow("broker down");
    const { ports, forwarded } = recordingPorts();
    await ingestBatch([encode(event)], options, dedup, ports);
    expect(forwarded).toEqual([event?.event_id]);
  });
});
