import fc from "fast-check";
import { expect, it } from "vitest";
import { MinHeap } from "./heap.js";

it("pops in ascending order whatever the order of pushes", () => {
  fc.assert(
    fc.property(fc.array(fc.integer()), (values) => {
      const heap = new MinHeap<number>((a, b) => a < b);
      for (const value of values) heap.push(value);
      const popped: number[] = [];
      for (let value = heap.pop(); value !== undefined; value = heap.pop())
        popped.push(value);
      expect(popped).toEqual([...values].sort((a, b) => a - b));
      expect(heap.size).toBe(0);
    }),
  );
});
