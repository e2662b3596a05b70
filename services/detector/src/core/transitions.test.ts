import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { hash32, hash32Pair } from "./seen.js";
import { pairPrint } from "./transitions.js";

describe("transition fingerprints", () => {
  it("hash the pair as hash32 hashes the joined text, without joining it", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (from, to) => {
        expect(hash32Pair(from, to)).toBe(hash32(`${from}\u0000${to}`));
        expect(pairPrint(from, to)).toBe(
          hash32(`${from}\u0000${to}`) & 0xffff || 1,
        );
      }),
    );
  });
});
