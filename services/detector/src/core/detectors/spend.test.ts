import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createSpendMemory,
  observeSpend,
  spentBy,
  SPEND_MAX_BITS,
  type SpendMemory,
} from "./spend.js";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-23T00:00:00.000Z");

/** A seeded log-normal draw (mulberry32 + Box–Muller): the same sequence every run. */
function lognormal(seed: number): () => number {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () =>
    Math.exp(
      0.5 *
        Math.sqrt(-2 * Math.log(Math.max(1e-12, next()))) *
        Math.cos(2 * Math.PI * next()),
    );
}

/** Business hours for `days`: 6 model calls an hour, 08:00–18:00, of ~2,000 tokens each. */
function history(
  own: SpendMemory,
  peer: SpendMemory | undefined,
  days: number,
  factorAt: (timeMs: number) => number = () => 1,
): number {
  const draw = lognormal(7);
  let strongest = 0;
  for (let day = 0; day < days; day++)
    for (let hour = 8; hour < 18; hour++)
      for (let call = 0; call < 6; call++) {
        const t = T0 + day * 24 * HOUR + hour * HOUR + call * 10 * 60_000;
        const verdict = observeSpend(
          own,
          peer,
          Math.round(2_000 * factorAt(t) * draw()),
          t,
        );
        strongest = Math.max(strongest, verdict?.bits ?? 0);
      }
  return strongest;
}

const AFTER = T0 + 4 * 24 * HOUR + 10 * HOUR;

describe("llm_spend", () => {
  it("stays quiet on an agent's usual spend, and says nothing before it has a history", () => {
    const own = createSpendMemory();
    expect(observeSpend(own, undefined, 2_000, T0)).toBeUndefined();
    expect(history(own, undefined, 4)).toBeLessThan(6);
  });

  it("catches a looping agent burning 50× its usual tokens within minutes, with the numbers", () => {
    const own = createSpendMemory();
    history(own, undefined, 4);
    let verdict;
    let calls = 0;
    for (; calls < 40 && !(verdict && verdict.bits >= 14); calls++)
      verdict = observeSpend(own, undefined, 100_000, AFTER + calls * 30_000);
    expect(verdict?.bits ?? 0).toBeGreaterThanOrEqual(14);
    expect(calls).toBeLessThanOrEqual(10);
    // The hour's spend is the first to say it here; the sentence gives both numbers.
    expect(verdict?.summary).toMatch(
      /^[\d,]+ tokens in \d+ model calls this hour; the agent's usual hour is [\d,]+ \(p99 [\d,]+\)$/,
    );
  });

  it("lets one moderately larger context pass", () => {
    const own = createSpendMemory();
    history(own, undefined, 4);
    expect(observeSpend(own, undefined, 8_000, AFTER)?.bits ?? 0).toBeLessThan(
      4,
    );
  });

  it("follows a job that grows to 3× over a day and a half", () => {
    const start = T0 + 3 * 24 * HOUR;
    const growth = (t: number): number =>
      t < start ? 1 : 1 + 2 * Math.min(1, (t - start) / (36 * HOUR));
    expect(history(createSpendMemory(), undefined, 6, growth)).toBeLessThan(8);
  });

  it("judges a newcomer by its peer group's history", () => {
    const peer = createSpendMemory();
    for (let agent = 0; agent < 3; agent++)
      history(createSpendMemory(), peer, 3);
    const newcomer = createSpendMemory();
    let verdict;
    for (let i = 0; i < 12; i++)
      verdict = observeSpend(newcomer, peer, 100_000, AFTER + i * 30_000);
    expect(verdict?.bits ?? 0).toBeGreaterThanOrEqual(14);
    expect(verdict?.summary).toContain("the peer group's p99 per call");
  });

  it("never says more than SPEND_MAX_BITS, nor anything not a number", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 1e9 }),
            fc.integer({ min: 0, max: 30 * 24 * HOUR }),
          ),
          { maxLength: 200 },
        ),
        (calls) => {
          const own = createSpendMemory();
          const peer = createSpendMemory();
          for (const [amount, at] of calls) {
            const verdict = observeSpend(own, peer, amount, T0 + at);
            if (verdict) {
              expect(verdict.bits).toBeLessThanOrEqual(SPEND_MAX_BITS);
              expect(Number.isFinite(verdict.bits)).toBe(true);
            }
          }
        },
      ),
    );
  });

  it("measures tokens, or micro-dollars when a call reports only its cost", () => {
    expect(spentBy({ input_tokens: 1200, output_tokens: 300 })).toBe(1500);
    expect(spentBy({ cost_usd: 0.0042 })).toBe(4200);
    expect(spentBy(undefined)).toBe(0);
  });
});
