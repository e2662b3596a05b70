import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBaseline, encodeBaseline } from "./codec.js";
import {
  BASELINE_FORMAT_VERSION,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
  type BaselineModel,
  type BaselineScope,
  type RobustStats,
  type Vocabulary,
  type VocabularyDimension,
} from "./model.js";

const amount = fc.double({ min: 0, max: 1e12, noNaN: true });
const count = fc.nat();
const timeMs = fc.integer({ min: 0, max: 4_102_444_800_000 });

const statsArbitrary: fc.Arbitrary<RobustStats> = fc.record({
  median: amount,
  mad: amount,
  p95: amount,
  p99: amount,
  max: amount,
});

const vocabularyArbitrary: fc.Arbitrary<Vocabulary> = fc.record({
  distinct: count,
  total: count,
  top: fc.array(fc.tuple(fc.string({ unit: "grapheme" }), count), {
    maxLength: 8,
  }),
});

const scopeArbitrary: fc.Arbitrary<BaselineScope> = fc.oneof(
  fc.record({
    level: fc.constant("agent" as const),
    tenant: fc.string(),
    agentId: fc.string(),
    agentKind: fc.string(),
  }),
  fc.record({
    level: fc.constant("peer" as const),
    tenant: fc.string(),
    agentKind: fc.string(),
  }),
  fc.record({ level: fc.constant("tenant" as const), tenant: fc.string() }),
);

const statsMap = fc.dictionary(fc.string(), statsArbitrary, { maxKeys: 4 });
const rate = fc.double({ min: 0, max: 1, noNaN: true });

const requiredModel = fc.record({
  version: fc.constant(BASELINE_FORMAT_VERSION),
  scope: scopeArbitrary,
  computedAtMs: timeMs,
  windowStartMs: timeMs,
  windowEndMs: timeMs,
  history: fc.record({
    events: count,
    agents: count,
    firstSeenMs: timeMs,
    lastSeenMs: timeMs,
    activeMinutes: count,
    activeHours: count,
  }),
  trusted: fc.boolean(),
  ratePerMinute: statsArbitrary,
  ratePerHour: statsArbitrary,
  hourOfWeek: fc.option(
    fc.array(amount, { minLength: HOURS_PER_WEEK, maxLength: HOURS_PER_WEEK }),
    { nil: null },
  ),
  activeHoursOfDay: fc.integer({ min: 0, max: 0xffffff }),
  bytesPerCall: statsArbitrary,
  bytesPerHour: statsArbitrary,
  bytesPerCallByVerb: statsMap,
  bytesPerCallBySensitivity: statsMap,
  deniedRate: rate,
  errorRate: rate,
  maxChainDepth: count,
  vocabulary: fc.record(
    Object.fromEntries(
      VOCABULARY_DIMENSIONS.map((dimension) => [
        dimension,
        vocabularyArbitrary,
      ]),
    ) as Record<VocabularyDimension, fc.Arbitrary<Vocabulary>>,
  ),
});
// Idle stretches are an optional field of format 1: models with and without them.
const modelArbitrary: fc.Arbitrary<BaselineModel> = fc
  .tuple(
    requiredModel,
    fc.option(fc.record({ stats: statsArbitrary, count }), { nil: undefined }),
  )
  .map(([model, idleGaps]) => (idleGaps ? { ...model, idleGaps } : model));

function roundTrip(model: BaselineModel): BaselineModel {
  const decoded = decodeBaseline(encodeBaseline(model));
  if (!decoded.ok) throw new Error(decoded.problem);
  return decoded.model;
}

describe("baseline wire format", () => {
  it("reads a version-1 baseline written before idle stretches existed", () => {
    const model = fc.sample(modelArbitrary, { numRuns: 1, seed: 3 })[0];
    if (!model) throw new Error("no sample");
    const { idleGaps: _dropped, ...older } = model;
    expect(roundTrip(older)).toEqual(older);
    expect("idleGaps" in roundTrip(older)).toBe(false);
  });

  it("decodes what it encodes, for every valid model", () => {
    fc.assert(
      fc.property(modelArbitrary, (model) => {
        expect(roundTrip(model)).toEqual(model);
      }),
    );
  });

  it("never throws on arbitrary bytes or JSON", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array(),
          fc.json().map((text) => new TextEncoder().encode(text)),
        ),
        (bytes) => {
          expect(typeof decodeBaseline(bytes).ok).toBe("boolean");
        },
      ),
    );
  });

  it("rejects a model whose fields were damaged, naming the field", () => {
    fc.assert(
      fc.property(
        modelArbitrary,
        fc.constantFrom(
          "v",
          "s",
          "c",
          "w",
          "h",
          "ok",
          "rm",
          "bc",
          "dr",
          "ah",
          "vo",
        ),
        fc.constantFrom<unknown>(null, "x", [], {}),
        (model, field, damage) => {
          const wire = JSON.parse(
            new TextDecoder().decode(encodeBaseline(model)),
          ) as Record<string, unknown>;
          wire[field] = damage;
          const decoded = decodeBaseline(
            new TextEncoder().encode(JSON.stringify(wire)),
          );
          expect(decoded.ok).toBe(false);
          if (!decoded.ok)
            expect(decoded.problem).toMatch(
              field === "v"
                ? /^unsupported version/
                : new RegExp(`^${field}\\b`),
            );
        },
      ),
    );
  });

  it("refuses another version", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ v: 2 }));
    expect(decodeBaseline(bytes)).toEqual({
      ok: false,
      problem: "unsupported version 2",
    });
  });

  it("leaves hourOfWeek out of the wire when the activity is not periodic", () => {
    fc.assert(
      fc.property(modelArbitrary, (model) => {
        const wire = JSON.parse(
          new TextDecoder().decode(encodeBaseline(model)),
        ) as Record<string, unknown>;
        expect("hw" in wire).toBe(model.hourOfWeek !== null);
      }),
    );
  });
});
