import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createBoundedStore } from "./state-store.js";

describe("bounded store", () => {
  it("never exceeds the cap and drops exactly the idle entries at a sweep", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 60 }),
            fc.integer({ min: 0, max: 5_000 }),
          ),
          { maxLength: 500 },
        ),
        (maxEntries, touches) => {
          const idleMs = 16_000;
          const store = createBoundedStore<number>({ maxEntries, idleMs });
          const last = new Map<string, number>();
          let t = 0;
          for (const [id, gap] of touches) {
            t += gap;
            const key = `k${id}`;
            store.touch(key, t, () => id);
            last.set(key, t);
            expect(store.size).toBeLessThanOrEqual(maxEntries);
            expect(store.get(key)).toBe(id);
          }
          // Far below the cap, a touch after a long pause leaves only recently active entries.
          if (maxEntries === 30 && touches.length > 0) {
            t += idleMs + 1;
            store.touch("fresh", t, () => -1);
            expect(store.size).toBe(1);
          }
        },
      ),
    );
  });

  it("keeps an entry that stays busy and drops the least recently active one when full", () => {
    const store = createBoundedStore<string>({
      maxEntries: 2,
      idleMs: 1_000_000,
    });
    store.touch("busy", 0, () => "busy");
    store.touch("quiet", 1, () => "quiet");
    store.touch("busy", 100_000, () => "busy");
    store.touch("new", 100_001, () => "new");
    expect(store.get("busy")).toBe("busy");
    expect(store.get("quiet")).toBeUndefined();
    expect(store.evicted).toBe(1);
  });
});
