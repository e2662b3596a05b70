import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSegment,
  encodeRecords,
  RECORD_HEADER_BYTES,
} from "./spool-format.js";

const payloads = fc.array(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  { maxLength: 40 },
);

describe("spool records", () => {
  it("decodes exactly what was encoded, in order", () => {
    fc.assert(
      fc.property(payloads, (records) => {
        const decoded = decodeSegment(encodeRecords(records));
        expect(decoded.payloads).toEqual(records);
        expect(decoded.damagedBytes).toBe(0);
      }),
    );
  });

  it("keeps every whole record before a torn last write", () => {
    fc.assert(
      fc.property(
        payloads,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        (records, last, cut) => {
          const whole = encodeRecords(records);
          const torn = encodeRecords([Buffer.from(last)]);
          const kept = cut % torn.length; // strictly less than the whole record
          const decoded = decodeSegment(
            Buffer.concat([whole, torn.subarray(0, kept)]),
          );
          expect(decoded.payloads).toEqual(records);
          expect(decoded.damagedBytes).toBe(kept);
        },
      ),
    );
  });

  it("stops at a record whose bytes were changed, never returning it", () => {
    fc.assert(
      fc.property(
        payloads.filter((records) => records.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (records, at, flip) => {
          const bytes = encodeRecords(records);
          const position = at % bytes.length;
          const damaged = Buffer.from(bytes);
          damaged[position] = (damaged[position] ?? 0) ^ flip;
          const decoded = decodeSegment(damaged);
          // Every record returned is one that was written, at its place.
          decoded.payloads.forEach((payload, index) =>
            expect(payload).toEqual(records[index]),
          );
          expect(decoded.payloads.length).toBeLessThan(records.length + 1);
          let recordStart = 0;
          let damagedIndex = 0;
          for (const [index, record] of records.entries()) {
            const end = recordStart + RECORD_HEADER_BYTES + record.length;
            if (position < end) {
              damagedIndex = index;
              break;
            }
            recordStart = end;
          }
          expect(decoded.payloads.length).toBeLessThanOrEqual(damagedIndex);
        },
      ),
    );
  });

  it("reads an empty segment as no records", () => {
    expect(decodeSegment(Buffer.alloc(0))).toEqual({
      payloads: [],
      damagedBytes: 0,
    });
  });
});
