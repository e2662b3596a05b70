import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeKeyRing, planKeyRing, rsaModulusBits } from "./key-ring.js";

const day = 86_400_000;
const policy = { rotationMs: 30 * day, overlapMs: 7 * day };

describe("planKeyRing", () => {
  it("asks for a first key", () => {
    expect(planKeyRing([], 0, policy)).toEqual({
      rotate: true,
      activeKid: undefined,
      publishedKids: [],
      expiredKids: [],
    });
  });

  it("keeps a young key active", () => {
    expect(
      planKeyRing([{ kid: "a", createdAtMs: 0 }], 29 * day, policy),
    ).toEqual({
      rotate: false,
      activeKid: "a",
      publishedKids: ["a"],
      expiredKids: [],
    });
  });

  it("rotates an old key and keeps it published through the overlap", () => {
    const rotating = planKeyRing(
      [{ kid: "a", createdAtMs: 0 }],
      30 * day,
      policy,
    );
    expect(rotating.rotate).toBe(true);
    expect(rotating.publishedKids).toEqual(["a"]);
    const keys = [
      { kid: "a", createdAtMs: 0 },
      { kid: "b", createdAtMs: 30 * day },
    ];
    expect(planKeyRing(keys, 36 * day, policy)).toMatchObject({
      activeKid: "b",
      publishedKids: ["b", "a"],
      expiredKids: [],
    });
    expect(planKeyRing(keys, 37 * day, policy)).toMatchObject({
      activeKid: "b",
      publishedKids: ["b"],
      expiredKids: ["a"],
    });
  });

  it("always publishes the signing key and never publishes a key past its overlap", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 500 }),
        (createdDays, nowDay) => {
          const keys = createdDays.map((d) => ({
            kid: `k${d}`,
            createdAtMs: d * day,
          }));
          const plan = planKeyRing(
            keys,
            Math.max(nowDay, ...createdDays) * day,
            policy,
          );
          if (plan.activeKid)
            expect(plan.publishedKids).toContain(plan.activeKid);
          expect(plan.publishedKids.length + plan.expiredKids.length).toBe(
            keys.length,
          );
          const successorOf = (d: number) =>
            Math.min(...createdDays.filter((o) => o > d));
          for (const kid of plan.publishedKids) {
            const d = Number(kid.slice(1));
            if (kid !== plan.activeKid && Number.isFinite(successorOf(d)))
              expect(
                Math.max(nowDay, ...createdDays) - successorOf(d),
              ).toBeLessThan(7);
          }
        },
      ),
    );
  });
});

describe("rsaModulusBits", () => {
  it("counts bits of the modulus", () => {
    expect(
      rsaModulusBits(Buffer.from([0x80, 0, 0]).toString("base64url")),
    ).toBe(24);
    expect(
      rsaModulusBits(Buffer.from([0, 0x01, 0]).toString("base64url")),
    ).toBe(9);
    expect(rsaModulusBits(Buffer.alloc(256, 0xff).toString("base64url"))).toBe(
      2048,
    );
  });
});

describe("forced rotation and describeKeyRing", () => {
  it("rotates a young key on demand and keeps it verifying for the overlap", () => {
    const young = [{ kid: "a", createdAtMs: 10 * day }];
    expect(planKeyRing(young, 11 * day, policy, true)).toEqual({
      rotate: true,
      activeKid: undefined,
      publishedKids: ["a"],
      expiredKids: [],
    });
    const after = [...young, { kid: "b", createdAtMs: 11 * day }];
    expect(planKeyRing(after, 17 * day, policy).publishedKids).toEqual([
      "b",
      "a",
    ]);
    expect(planKeyRing(after, 18 * day, policy).expiredKids).toEqual(["a"]);
  });

  it("names the active key with its next rotation and each retiring key with its end", () => {
    expect(
      describeKeyRing(
        [
          { kid: "a", createdAtMs: 0 },
          { kid: "c", createdAtMs: 5 * day },
          { kid: "b", createdAtMs: 2 * day },
        ],
        policy,
      ),
    ).toEqual([
      { kid: "c", createdAtMs: 5 * day, status: "active", untilMs: 35 * day },
      { kid: "b", createdAtMs: 2 * day, status: "retiring", untilMs: 12 * day },
      { kid: "a", createdAtMs: 0, status: "retiring", untilMs: 9 * day },
    ]);
    expect(describeKeyRing([], policy)).toEqual([]);
  });

  it("a retiring key leaves the JWKS exactly when describeKeyRing says", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), {
          minLength: 2,
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 500 }),
        (days, nowDay) => {
          const keys = days.map((d, i) => ({
            kid: `k${i}`,
            createdAtMs: d * day,
          }));
          const nowMs = Math.max(nowDay, ...days) * day;
          const published = planKeyRing(keys, nowMs, policy).publishedKids;
          for (const state of describeKeyRing(keys, policy))
            if (state.status === "retiring")
              expect(published.includes(state.kid)).toBe(nowMs < state.untilMs);
        },
      ),
    );
  });
});
