import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeFact,
  encodeFact,
  factKey,
  type CredentialFact,
} from "./credential-facts.js";

const use: CredentialFact = {
  kind: "use",
  tenant: "acme",
  type: "api_key",
  id: "key/with spaces.and*",
  agent: "agent:one",
  atMs: 1_700_000_000_000,
};

describe("credential facts on the wire", () => {
  it("round-trips a use and a revocation with the writer", () => {
    const revoked: CredentialFact = {
      kind: "revoked",
      type: "api_key",
      id: "k",
      atMs: 5,
    };
    for (const fact of [use, revoked])
      expect(decodeFact(encodeFact(fact, "me"))).toEqual({
        ok: true,
        fact,
        by: "me",
      });
  });

  it("keys are valid KV keys whatever the ids hold, one per agent and credential", () => {
    expect(factKey(use)).toMatch(/^u\.[0-9a-f]{32}$/);
    expect(factKey({ ...use, atMs: 1 })).toBe(factKey(use));
    expect(factKey({ ...use, agent: "agent:two" })).not.toBe(factKey(use));
    expect(factKey({ kind: "revoked", type: "x", id: "y", atMs: 0 })).toMatch(
      /^r\.[0-9a-f]{32}$/,
    );
  });

  it("refuses every malformed value without throwing", () => {
    const bad = (value: unknown) =>
      decodeFact(new TextEncoder().encode(JSON.stringify(value))).ok;
    expect(bad({ ...use, by: "x", atMs: -1 })).toBe(false);
    expect(bad({ ...use, by: "x", kind: "other" })).toBe(false);
    expect(bad({ ...use, by: "x", tenant: "" })).toBe(false);
    expect(bad({ ...use })).toBe(false);
    expect(bad(null)).toBe(false);
    expect(decodeFact(new Uint8Array(70_000)).ok).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const decoded = decodeFact(bytes);
        expect(typeof decoded.ok).toBe("boolean");
      }),
    );
  });
});
