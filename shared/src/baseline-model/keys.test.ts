import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromKvKeyToken, kvKeyToken } from "../names.js";
import {
  agentBaselineKey,
  peerBaselineKey,
  tenantBaselineKey,
} from "./keys.js";

// The character set nats.js accepts for a KV key (kv.ts `validKeyRe`).
const VALID_KV_KEY = /^[-/=.\w]+$/u;

describe("baseline KV keys", () => {
  it("encodes any string into a KV-safe token that decodes back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const token = kvKeyToken(value);
        expect(token).toMatch(/^[A-Za-z0-9_=-]+$/u);
        expect(fromKvKeyToken(token)).toBe(value);
      }),
    );
  });

  it("keeps plain ids readable and escapes the rest", () => {
    expect(kvKeyToken("support-bot_7")).toBe("support-bot_7");
    expect(kvKeyToken("a.b")).toBe("a=2Eb");
    expect(kvKeyToken("a=b")).toBe("a=3Db");
    expect(kvKeyToken("é")).toBe("=C3=A9");
    expect(kvKeyToken("")).toBe("=");
  });

  it("lays out agent, peer and tenant keys without collisions", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (tenant, id) => {
        const keys = [
          agentBaselineKey(tenant, id),
          peerBaselineKey(tenant, id),
          tenantBaselineKey(tenant),
        ];
        for (const key of keys) expect(key).toMatch(VALID_KV_KEY);
        expect(new Set(keys).size).toBe(3);
      }),
    );
    expect(agentBaselineKey("acme", "bot.1")).toBe("acme.bot=2E1");
    expect(peerBaselineKey("acme", "support")).toBe("peer.acme.support");
    expect(tenantBaselineKey("acme")).toBe("tenant.acme.all");
  });

  it("never confuses two different agents", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string(), fc.string()),
        fc.tuple(fc.string(), fc.string()),
        ([t1, a1], [t2, a2]) => {
          fc.pre(t1 !== t2 || a1 !== a2);
          expect(agentBaselineKey(t1, a1)).not.toBe(agentBaselineKey(t2, a2));
        },
      ),
    );
  });
});
