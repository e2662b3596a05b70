import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromKvKeyToken, kvKeyToken, revokedAgentKey } from "./kv-key.js";

// The key rule of nats.js (kv validateKey): allowed characters, no leading or trailing dot.
const VALID_KV_KEY = /^[-/=.\w]+$/;

describe("KV keys of revoked agents", () => {
  it("keeps ordinary ids readable and escapes the rest", () => {
    expect(revokedAgentKey("acme", "agent:x/1")).toBe("acme.agent=3Ax=2F1");
    expect(revokedAgentKey("", "a.b")).toBe("=.a=2Eb");
  });

  it("is always a valid key of exactly two tokens, and reversible", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        (tenant, agent) => {
          const key = revokedAgentKey(tenant, agent);
          expect(key).toMatch(VALID_KV_KEY);
          expect(key.startsWith(".") || key.endsWith(".")).toBe(false);
          const [first, second, ...rest] = key.split(".");
          expect(rest).toEqual([]);
          expect(fromKvKeyToken(first ?? "")).toBe(tenant);
          expect(fromKvKeyToken(second ?? "")).toBe(agent);
          expect(kvKeyToken(agent)).toBe(second);
        },
      ),
    );
  });
});
