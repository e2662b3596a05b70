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

describe("bounded store's per-tenant quota (issue 16)", () => {
  const tenantOf = (key: string) => key.slice(0, key.indexOf("/"));

  it("lets one tenant's id flood recycle its own share, never another tenant's entries", () => {
    const store = createBoundedStore<number>({
      maxEntries: 1000,
      idleMs: 3_600_000,
      maxEntriesPerGroup: 100,
      groupOf: tenantOf,
    });
    for (let index = 0; index < 50; index += 1)
      store.touch(`acme/agent-${index}`, 0, () => index);
    for (let index = 0; index < 100_000; index += 1)
      store.touch(`evil/flood-${index}`, 1, () => index);
    expect(store.size).toBe(150);
    for (let index = 0; index < 50; index += 1)
      expect(store.get(`acme/agent-${index}`)).toBe(index);
    expect(store.get("evil/flood-99999")).toBe(99_999);
    expect(store.evicted).toBe(100_000 - 100);
  });

  it("never holds more than the quota per tenant nor the cap overall", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("a", "b", "c"),
            fc.integer({ min: 0, max: 40 }),
          ),
          { maxLength: 300 },
        ),
        (touches) => {
          const store = createBoundedStore<number>({
            maxEntries: 50,
            idleMs: 3_600_000,
            maxEntriesPerGroup: 20,
            groupOf: tenantOf,
          });
          const live = new Map<string, Set<string>>();
          for (const [tenant, id] of touches) {
            const key = `${tenant}/${id}`;
            store.touch(key, 0, () => id);
            const set = live.get(tenant) ?? new Set<string>();
            set.add(key);
            live.set(tenant, set);
            expect(store.get(key)).toBe(id);
          }
          expect(store.size).toBeLessThanOrEqual(50);
          for (const [, keys] of live)
            expect(
              [...keys].filter((key) => store.get(key) !== undefined).length,
            ).toBeLessThanOrEqual(20);
        },
      ),
    );
  });
});
