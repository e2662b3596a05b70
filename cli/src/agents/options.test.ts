import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_LIMIT,
  UsageError,
  parseLimit,
  parseSince,
  resolveAgentOptions,
  resolveAgentsOptions,
} from "./options.js";

describe("agents command options", () => {
  it("reads durations in every unit", () => {
    expect(parseSince("90s")).toBe(90_000);
    expect(parseSince("30m")).toBe(1_800_000);
    expect(parseSince("1.5h")).toBe(5_400_000);
    expect(parseSince("7d")).toBe(604_800_000);
  });

  it("refuses anything but a positive duration, naming the flag", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        let ms: number | undefined;
        try {
          ms = parseSince(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message).toContain("--since");
          return;
        }
        expect(ms).toBeGreaterThan(0);
        expect(text.trim()).toMatch(/^\d+(\.\d+)?[smhd]$/);
      }),
    );
    for (const bad of ["", "0h", "-1h", "24", "1w", "h"])
      expect(() => parseSince(bad)).toThrow(UsageError);
  });

  it("accepts exactly the page sizes the API accepts", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: MAX_LIMIT + 5 }), (n) => {
        if (n >= 1 && n <= MAX_LIMIT) expect(parseLimit(String(n))).toBe(n);
        else expect(() => parseLimit(String(n))).toThrow(/--limit/);
      }),
    );
    for (const bad of ["", " ", "2.5", "ten"])
      expect(() => parseLimit(bad)).toThrow(UsageError);
  });

  it("turns --since into a range ending now", () => {
    expect(
      resolveAgentsOptions({ limit: "5", since: "1h" }, 10_000_000),
    ).toEqual({
      tenant: undefined,
      limit: 5,
      fromMs: 10_000_000 - 3_600_000,
      toMs: 10_000_000,
    });
    expect(
      resolveAgentOptions(
        "agent:a/1",
        { tenant: "acme", limit: "20", since: "24h", cursor: "abc" },
        86_400_000,
      ),
    ).toEqual({
      agentId: "agent:a/1",
      tenant: "acme",
      limit: 20,
      cursor: "abc",
      fromMs: 0,
      toMs: 86_400_000,
    });
  });

  it("refuses empty ids, tenants and cursors", () => {
    const raw = { tenant: "acme", limit: "20", since: "24h" };
    expect(() => resolveAgentOptions(" ", raw, 0)).toThrow(/agent id/);
    expect(() => resolveAgentOptions("a", { ...raw, tenant: "" }, 0)).toThrow(
      /--tenant/,
    );
    expect(() => resolveAgentOptions("a", { ...raw, cursor: "" }, 0)).toThrow(
      /--cursor/,
    );
    expect(() =>
      resolveAgentsOptions({ tenant: "", limit: "1", since: "1h" }, 0),
    ).toThrow(/--tenant/);
  });
});
