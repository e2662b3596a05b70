import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_RANGE_MS,
  bearerMatches,
  encodeCursor,
  parseCursor,
  parseLimit,
  parseRange,
} from "./query-params.js";

describe("query API parameters", () => {
  it("defaults to the last day and reads epoch ms or RFC 3339", () => {
    expect(parseRange({}, 1_000_000_000)).toEqual({
      ok: true,
      value: { fromMs: 1_000_000_000 - DEFAULT_RANGE_MS, toMs: 1_000_000_000 },
    });
    expect(
      parseRange({ from: "2026-01-05T00:00:00Z", to: "1767657600000" }, 0),
    ).toEqual({
      ok: true,
      value: {
        fromMs: Date.parse("2026-01-05T00:00:00Z"),
        toMs: 1_767_657_600_000,
      },
    });
  });

  it("refuses bad ranges with a reason", () => {
    const bad = parseRange({ from: "yesterday" }, 0);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problem).toMatch(/^from must be/);
    expect(parseRange({ from: "20", to: "10" }, 0)).toMatchObject({
      ok: false,
      problem: "from must not be after to",
    });
  });

  it("bounds the page size", () => {
    expect(parseLimit(undefined)).toEqual({
      ok: true,
      value: DEFAULT_PAGE_SIZE,
    });
    expect(parseLimit("1000")).toEqual({ ok: true, value: 1000 });
    for (const bad of ["0", "1001", "2.5", "x", "-1"])
      expect(parseLimit(bad).ok).toBe(false);
  });

  it("round-trips cursors and refuses forged ones", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.string(),
        (timeMs, id) => {
          expect(parseCursor(encodeCursor({ timeMs, id }))).toEqual({
            ok: true,
            value: { timeMs, id },
          });
        },
      ),
    );
    expect(parseCursor("bm9wZQ").ok).toBe(false);
    expect(parseCursor(encodeCursor({ timeMs: 1, id: "x" }).slice(2)).ok).toBe(
      false,
    );
    expect(parseCursor(undefined)).toEqual({ ok: true, value: undefined });
  });

  it("accepts only the exact bearer token", () => {
    expect(bearerMatches("Bearer s3cret", "s3cret")).toBe(true);
    expect(bearerMatches("Bearer s3cret ", "s3cret")).toBe(false);
    expect(bearerMatches("bearer s3cret", "s3cret")).toBe(false);
    expect(bearerMatches("Basic s3cret", "s3cret")).toBe(false);
    expect(bearerMatches(undefined, "s3cret")).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (sent, token) => {
        expect(bearerMatches(`Bearer ${sent}`, token)).toBe(sent === token);
      }),
    );
  });
});
