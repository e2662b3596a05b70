import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkBySize } from "./chunk.js";

describe("chunkBySize", () => {
  it("keeps every message, in order, and no chunk over the limit unless it holds one message", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 3000 }), { maxLength: 60 }),
        fc.integer({ min: 100, max: 5000 }),
        (sizes, limit) => {
          const messages = sizes.map((size, index) => ({
            key: String(index),
            value: Buffer.alloc(size),
          }));
          const chunks = chunkBySize(messages, limit);
          expect(chunks.flat()).toEqual(messages);
          for (const chunk of chunks) {
            const bytes = chunk.reduce(
              (sum, m) => sum + m.value.length + m.key.length + 64,
              0,
            );
            if (chunk.length > 1) expect(bytes).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});
