import {
  BASELINE_FORMAT_VERSION,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
  type BaselineHistory,
  type BaselineModel,
  type BaselineScope,
  type IdleGaps,
  type RobustStats,
  type Vocabulary,
  type VocabularyDimension,
} from "./model.js";

/**
 * The wire form of a baseline: UTF-8 JSON with short keys and positional arrays, so a
 * typical agent baseline stays under 4 KiB (README.md beside this file lists every field).
 * decode(encode(m)) equals m for every valid model; decode never throws on bad input.
 */

/** Short wire names of the vocabulary dimensions, in VOCABULARY_DIMENSIONS order. */
const VOCABULARY_WIRE_NAMES: Readonly<Record<VocabularyDimension, string>> = {
  actions: "ac",
  verbs: "vb",
  resources: "rs",
  resourceTypes: "rt",
  sensitivities: "se",
  sourceIps: "ip",
  gateways: "gw",
  instances: "in",
  credentials: "cr",
  scopes: "sc",
  delegationParents: "dp",
};

type WireStats = [number, number, number, number, number];
type WireVocabulary = [number, number, ...[string, number][]];

function statsToWire(stats: RobustStats): WireStats {
  return [stats.median, stats.mad, stats.p95, stats.p99, stats.max];
}

function vocabularyToWire(vocabulary: Vocabulary): WireVocabulary {
  return [
    vocabulary.distinct,
    vocabulary.total,
    ...vocabulary.top.map(([value, count]): [string, number] => [value, count]),
  ];
}

function scopeToWire(scope: BaselineScope): string[] {
  switch (scope.level) {
    case "agent":
      return ["a", scope.tenant, scope.agentId, scope.agentKind];
    case "peer":
      return ["p", scope.tenant, scope.agentKind];
    case "tenant":
      return ["t", scope.tenant];
  }
}

function statsMapToWire(
  map: Readonly<Record<string, RobustStats>>,
): Record<string, WireStats> {
  return Object.fromEntries(
    Object.entries(map).map(([key, stats]) => [key, statsToWire(stats)]),
  );
}

export function encodeBaseline(model: BaselineModel): Uint8Array {
  const h = model.history;
  const wire: Record<string, unknown> = {
    v: model.version,
    s: scopeToWire(model.scope),
    c: model.computedAtMs,
    w: [model.windowStartMs, model.windowEndMs],
    h: [
      h.events,
      h.agents,
      h.firstSeenMs,
      h.lastSeenMs,
      h.activeMinutes,
      h.activeHours,
    ],
    ok: model.trusted ? 1 : 0,
    rm: statsToWire(model.ratePerMinute),
    rh: statsToWire(model.ratePerHour),
    ah: model.activeHoursOfDay,
    bc: statsToWire(model.bytesPerCall),
    bh: statsToWire(model.bytesPerHour),
    bv: statsMapToWire(model.bytesPerCallByVerb),
    bs: statsMapToWire(model.bytesPerCallBySensitivity),
    dr: model.deniedRate,
    er: model.errorRate,
    cd: model.maxChainDepth,
    vo: Object.fromEntries(
      VOCABULARY_DIMENSIONS.map((dimension) => [
        VOCABULARY_WIRE_NAMES[dimension],
        vocabularyToWire(model.vocabulary[dimension]),
      ]),
    ),
  };
  if (model.hourOfWeek !== null) wire["hw"] = model.hourOfWeek;
  if (model.idleGaps)
    wire["ig"] = [...statsToWire(model.idleGaps.stats), model.idleGaps.count];
  return new TextEncoder().encode(JSON.stringify(wire));
}

export type BaselineDecode =
  | { readonly ok: true; readonly model: BaselineModel }
  | { readonly ok: false; readonly problem: string };

/** Thrown inside decoding only; decodeBaseline turns it into a problem. */
class WireProblem extends Error {}

function fail(problem: string): never {
  throw new WireProblem(problem);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function numberAt(value: unknown, field: string): number {
  return isFiniteNumber(value) ? value : fail(`${field} must be a number`);
}

function countAt(value: unknown, field: string): number {
  return Number.isSafeInteger(value) && (value as number) >= 0
    ? (value as number)
    : fail(`${field} must be a whole number >= 0`);
}

function rateAt(value: unknown, field: string): number {
  return isFiniteNumber(value) && value >= 0 && value <= 1
    ? value
    : fail(`${field} must be a number in [0, 1]`);
}

function arrayAt(value: unknown, field: string, length?: number): unknown[] {
  if (!Array.isArray(value)) fail(`${field} must be an array`);
  if (length !== undefined && value.length !== length)
    fail(`${field} must have ${length} items`);
  return value as unknown[];
}

function objectAt(value: unknown, field: string): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : fail(`${field} must be an object`);
}

function stringAt(value: unknown, field: string): string {
  return typeof value === "string" ? value : fail(`${field} must be a string`);
}

function statsFromWire(value: unknown, field: string): RobustStats {
  const [median, mad, p95, p99, max] = arrayAt(value, field, 5).map((item) =>
    numberAt(item, field),
  ) as WireStats;
  return { median, mad, p95, p99, max };
}

function statsMapFromWire(
  value: unknown,
  field: string,
): Record<string, RobustStats> {
  return Object.fromEntries(
    Object.entries(objectAt(value, field)).map(([key, stats]) => [
      key,
      statsFromWire(stats, `${field}.${key}`),
    ]),
  );
}

function vocabularyFromWire(value: unknown, field: string): Vocabulary {
  const items = arrayAt(value, field);
  if (items.length < 2) fail(`${field} must start with distinct and total`);
  const top = items.slice(2).map((entry): readonly [string, number] => {
    const [item, count] = arrayAt(entry, `${field} entry`, 2);
    return [stringAt(item, `${field} value`), countAt(count, `${field} count`)];
  });
  return {
    distinct: countAt(items[0], `${field} distinct`),
    total: countAt(items[1], `${field} total`),
    top,
  };
}

function scopeFromWire(value: unknown): BaselineScope {
  const items = arrayAt(value, "s").map((item) => stringAt(item, "s"));
  const [level, tenant = "", second = "", third = ""] = items;
  if (level === "a" && items.length === 4)
    return { level: "agent", tenant, agentId: second, agentKind: third };
  if (level === "p" && items.length === 3)
    return { level: "peer", tenant, agentKind: second };
  if (level === "t" && items.length === 2) return { level: "tenant", tenant };
  return fail(
    "s must be [a, tenant, agent, kind], [p, tenant, kind] or [t, tenant]",
  );
}

function historyFromWire(value: unknown): BaselineHistory {
  const [events, agents, firstSeenMs, lastSeenMs, activeMinutes, activeHours] =
    arrayAt(value, "h", 6);
  return {
    events: countAt(events, "h.events"),
    agents: countAt(agents, "h.agents"),
    firstSeenMs: numberAt(firstSeenMs, "h.firstSeenMs"),
    lastSeenMs: numberAt(lastSeenMs, "h.lastSeenMs"),
    activeMinutes: countAt(activeMinutes, "h.activeMinutes"),
    activeHours: countAt(activeHours, "h.activeHours"),
  };
}

function modelFromWire(wire: Record<string, unknown>): BaselineModel {
  if (wire["v"] !== BASELINE_FORMAT_VERSION)
    fail(`unsupported version ${String(wire["v"])}`);
  const [windowStartMs, windowEndMs] = arrayAt(wire["w"], "w", 2).map((item) =>
    numberAt(item, "w"),
  ) as [number, number];
  const hourOfWeek =
    wire["hw"] === undefined
      ? null
      : arrayAt(wire["hw"], "hw", HOURS_PER_WEEK).map((item) =>
          numberAt(item, "hw"),
        );
  const vocabularies = objectAt(wire["vo"], "vo");
  const activeHoursOfDay = countAt(wire["ah"], "ah");
  if (activeHoursOfDay > 0xffffff) fail("ah must be a 24-bit mask");
  if (wire["ok"] !== 0 && wire["ok"] !== 1) fail("ok must be 0 or 1");
  const idleGaps = idleGapsFromWire(wire["ig"]);
  return {
    version: BASELINE_FORMAT_VERSION,
    scope: scopeFromWire(wire["s"]),
    computedAtMs: numberAt(wire["c"], "c"),
    windowStartMs,
    windowEndMs,
    history: historyFromWire(wire["h"]),
    trusted: wire["ok"] === 1,
    ratePerMinute: statsFromWire(wire["rm"], "rm"),
    ratePerHour: statsFromWire(wire["rh"], "rh"),
    hourOfWeek,
    activeHoursOfDay,
    bytesPerCall: statsFromWire(wire["bc"], "bc"),
    bytesPerHour: statsFromWire(wire["bh"], "bh"),
    bytesPerCallByVerb: statsMapFromWire(wire["bv"], "bv"),
    bytesPerCallBySensitivity: statsMapFromWire(wire["bs"], "bs"),
    deniedRate: rateAt(wire["dr"], "dr"),
    errorRate: rateAt(wire["er"], "er"),
    maxChainDepth: countAt(wire["cd"], "cd"),
    vocabulary: Object.fromEntries(
      VOCABULARY_DIMENSIONS.map((dimension) => {
        const name = VOCABULARY_WIRE_NAMES[dimension];
        return [
          dimension,
          vocabularyFromWire(vocabularies[name], `vo.${name}`),
        ];
      }),
    ) as Record<VocabularyDimension, Vocabulary>,
    ...(idleGaps ? { idleGaps } : {}),
  };
}

/** `ig`: idle-stretch statistics and their count; optional (older baselines lack it). */
function idleGapsFromWire(value: unknown): IdleGaps | undefined {
  if (value === undefined) return undefined;
  const items = arrayAt(value, "ig", 6);
  return {
    stats: statsFromWire(items.slice(0, 5), "ig"),
    count: countAt(items[5], "ig.count"),
  };
}

/** Decodes a KV value from untrusted bytes; never throws. */
export function decodeBaseline(bytes: Uint8Array): BaselineDecode {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  try {
    return { ok: true, model: modelFromWire(objectAt(value, "baseline")) };
  } catch (error) {
    if (error instanceof WireProblem)
      return { ok: false, problem: error.message };
    throw error;
  }
}
