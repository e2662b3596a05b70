import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptedKeys, classifyBatch } from "./classify.js";
import { createDeduplicator } from "./dedup.js";
import { hostileMessage, validAuditEvent } from "./hostile-input.js";

const options = {
  maxEventBytes: 64 * 1024,
  maxFutureSkewMs: 300_000,
  lateAfterMs: 300_000,
  nowMs: Date.parse("2026-11-02T10:00:00Z"),
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("classifyBatch", () => {
  it("drops a repeated event id within a batch and across remembered batches", () => {
    const dedup = createDeduplicator({ windowMs: 60_000, maxEntries: 100 });
    const [event] = fc.sample(validAuditEvent(), { numRuns: 1, seed: 7 });
    const first = classifyBatch([encode(event), encode(event)], options, dedup);
    expect(first.map((outcome) => outcome.kind)).toEqual([
      "accepted",
      "duplicate",
    ]);
    expect(classifyBatch([encode(event)], options, dedup)[0]?.kind).toBe(
      "accepted",
    );
    dedup.remember(acceptedKeys(first));
    expect(classifyBatch([encode(event)], options, dedup)[0]?.kind).toBe(
      "duplicate",
    );
  });

  it("gives exactly one outcome per message, so the counts always add up", () => {
    fc.assert(
      fc.property(fc.array(hostileMessage(), { maxLength: 30 }), (messages) => {
        const dedup = createDeduplicator({
          windowMs: 60_000,
          maxEntries: 1000,
        });
        const batch = [...messages, ...messages];
        const outcomes = classifyBatch(batch, options, dedup);
        expect(outcomes).toHaveLength(batch.length);
        const accepted = outcomes.filter(
          (outcome) => outcome.kind === "accepted",
        );
        const keys = new Set(acceptedKeys(outcomes));
        expect(keys.size).toBe(accepted.length);
      }),
      { numRuns: 200 },
    );
  });
});
