import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReorderBuffer } from "./reorder.js";

describe("reorder buffer", () => {
  it("releases every event exactly once, in order when the disorder fits the window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 300 }),
        fc.integer({ min: 2, max: 64 }),
        (times, capacity) => {
          const buffer = createReorderBuffer<number>(capacity);
          const out: number[] = [];
          times.forEach((time) => out.push(...buffer.push(time, time)));
          out.push(...buffer.drain());
          expect([...out].sort((a, b) => a - b)).toEqual(
            [...times].sort((a, b) => a - b),
          );
          if (buffer.outOfOrder === 0)
            expect(out).toEqual([...out].sort((a, b) => a - b));
        },
      ),
    );
  });

  it("sorts a shuffle that fits the window and counts what does not", () => {
    const buffer = createReorderBuffer<number>(4);
    const out = [3, 1, 2, 0, 7, 5, 6, 4].flatMap((t) => buffer.push(t, t));
    out.push(...buffer.drain());
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const small = createReorderBuffer<number>(2);
    const late = [5, 6, 7, 1].flatMap((t) => small.push(t, t));
    expect(late).toContain(1);
    expect(small.outOfOrder).toBe(1);
  });
});
