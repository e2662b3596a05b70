import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDeduplicator, dedupKey } from "./dedup.js";

describe("createDeduplicator", () => {
  it("remembers ids for the window, then forgets them", () => {
    let now = 5_000;
    const dedup = createDeduplicator({
      windowMs: 1000,
      maxEntries: 10,
      now: () => now,
    });
    dedup.remember(["a"]);
    now = 5_999;
    expect(dedup.seen("a")).toBe(true);
    now = 6_001;
    expect(dedup.seen("a")).toBe(false);
  });

  it("never holds more than maxEntries, dropping the oldest", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (ids, max) => {
          const dedup = createDeduplicator({
            windowMs: 60_000,
            maxEntries: max,
          });
          dedup.remember(ids);
          expect(dedup.size).toBeLessThanOrEqual(max);
          const last = ids.at(-1);
          if (last !== undefined) expect(dedup.seen(last)).toBe(true);
        },
      ),
    );
  });

  it("keys by tenant and event id without ambiguity", () => {
    expect(dedupKey("a", "bc")).not.toBe(dedupKey("ab", "c"));
  });
});
