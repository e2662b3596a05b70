import { describe, expect, it } from "vitest";
import { addToRing, advanceRing, sumRing } from "./ring.js";

describe("bucket rings", () => {
  const ring = { offset: 2, buckets: 4, widthMs: 1_000 };

  it("sums the newest buckets and clears the ones the head passes", () => {
    const cells = new Uint32Array(6);
    let head = advanceRing(cells, ring, 10, 10_500);
    addToRing(cells, ring, head, 10_500, 3);
    head = advanceRing(cells, ring, head, 11_200);
    addToRing(cells, ring, head, 11_200, 2);
    expect(sumRing(cells, ring, head, 4)).toBe(5);
    expect(sumRing(cells, ring, head, 1)).toBe(2);
    head = advanceRing(cells, ring, head, 14_000);
    expect(sumRing(cells, ring, head, 4)).toBe(2);
    head = advanceRing(cells, ring, head, 30_000);
    expect(sumRing(cells, ring, head, 4)).toBe(0);
    expect([cells[0], cells[1]]).toEqual([0, 0]);
  });

  it("counts a late event inside the ring and ignores one older than it", () => {
    const cells = new Uint32Array(6);
    const head = advanceRing(cells, ring, 0, 20_000);
    expect(addToRing(cells, ring, head, 18_100, 1)).toBe(true);
    expect(addToRing(cells, ring, head, 16_900, 1)).toBe(false);
    expect(sumRing(cells, ring, head, 4)).toBe(1);
  });

  it("saturates instead of wrapping", () => {
    const cells = new Uint32Array(6);
    addToRing(cells, ring, 5, 5_000, 0xffffffff);
    addToRing(cells, ring, 5, 5_000, 10);
    expect(sumRing(cells, ring, 5, 1)).toBe(0xffffffff);
  });
});
