import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createBatchWriter } from "./batch-writer.js";

describe("createBatchWriter", () => {
  it("coalesces concurrent writes into one insert once maxRows wait", async () => {
    const inserts: number[][] = [];
    const writer = createBatchWriter<number>({
      maxRows: 4,
      flushDelayMs: 60_000,
      insert: (rows) => {
        inserts.push(rows);
        return Promise.resolve();
      },
    });
    await Promise.all([writer.write([1, 2]), writer.write([3, 4])]);
    expect(inserts).toEqual([[1, 2, 3, 4]]);
    expect(writer.pending).toBe(0);
  });

  it("flushes a partial batch after the delay", async () => {
    vi.useFakeTimers();
    try {
      const inserts: number[][] = [];
      const writer = createBatchWriter<number>({
        maxRows: 100,
        flushDelayMs: 50,
        insert: (rows) => {
          inserts.push(rows);
          return Promise.resolve();
        },
      });
      const written = writer.write([7]);
      expect(inserts).toEqual([]);
      await vi.advanceTimersByTimeAsync(50);
      await written;
      expect(inserts).toEqual([[7]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects every write of a failed insert and keeps working afterwards", async () => {
    let fail = true;
    const inserted: number[] = [];
    const writer = createBatchWriter<number>({
      maxRows: 2,
      flushDelayMs: 60_000,
      insert: (rows) => {
        if (fail) return Promise.reject(new Error("down"));
        inserted.push(...rows);
        return Promise.resolve();
      },
    });
    const results = await Promise.allSettled([
      writer.write([1]),
      writer.write([2]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await Promise.all([writer.write([1]), writer.write([2])]);
    expect(inserted).toEqual([1, 2]);
  });

  it("inserts every row once, in order, in chunks of at most maxRows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.array(fc.nat(), { maxLength: 25 }), { maxLength: 20 }),
        async (maxRows, writes) => {
          const inserts: number[][] = [];
          const writer = createBatchWriter<number>({
            maxRows,
            flushDelayMs: 1,
            insert: (rows) => {
              inserts.push(rows);
              return Promise.resolve();
            },
          });
          await Promise.all(writes.map((rows) => writer.write(rows)));
          expect(inserts.flat()).toEqual(writes.flat());
          for (const rows of inserts)
            expect(rows.length).toBeLessThanOrEqual(maxRows);
        },
      ),
      { numRuns: 50 },
    );
  });
});
