import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AUDIT_EVENT_SCHEMA_ID,
  DECISION_SCHEMA_ID,
  validateAuditEvent,
  validateDecision,
} from "./validate.js";

function exampleLines(file: string): string[] {
  return readFileSync(
    new URL(`../../contracts/examples/${file}`, import.meta.url),
    "utf8",
  )
    .split("\n")
    .filter((line) => line.trim().length > 0);
}

function parseOrUndefined(line: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(line) as unknown };
  } catch {
    return undefined;
  }
}

const goodLines = exampleLines("audit-events.ndjson");
const badLines = exampleLines("bad-events.ndjson");

const minimalEvent = {
  schema: AUDIT_EVENT_SCHEMA_ID,
  event_id: "01JD3K9Q7V1M2N3P4Q5R6S7T8W",
  time: "2026-11-02T09:15:04.000Z",
  agent: { id: "agent:ci/3" },
  credential: { id: "key_a91", type: "api_key" },
  action: { name: "repo.push", verb: "write" },
  outcome: "denied",
};

const decision = {
  schema: DECISION_SCHEMA_ID,
  decision_id: "d-1",
  tenant: "acme",
  agent_id: "agent:ci/3",
  action: "revoke",
  risk: 0.97,
  at: "2026-11-02T09:15:04.000Z",
  decided_at: "2026-11-02T09:15:05.000Z",
  reasons: [
    {
      detector: "rate_spike",
      score: 0.97,
      summary: "1,250 calls/min vs baseline p99 40",
      observed: 1250,
      expected: 40,
    },
  ],
};

describe("validateAuditEvent", () => {
  it("has example files to check", () => {
    expect(goodLines.length).toBeGreaterThan(0);
    expect(badLines.length).toBeGreaterThan(0);
  });

  it.each(goodLines.map((line, index) => [index + 1, line] as const))(
    "accepts audit-events.ndjson line %d",
    (_line, text) => {
      const result = validateAuditEvent(JSON.parse(text));
      expect(result.ok ? [] : result.problems).toEqual([]);
      expect(result.ok).toBe(true);
    },
  );

  // Which field each line of bad-events.ndjson breaks (undefined: the line is not JSON).
  const expectedPaths: readonly (string | undefined)[] = [
    undefined,
    "/event_id",
    "/schema",
    "/time",
    "/agent/id",
    "/action/verb",
    "/bytes_out",
  ];

  it("knows every line of bad-events.ndjson", () => {
    expect(badLines).toHaveLength(expectedPaths.length);
  });

  it.each(
    badLines.map(
      (line, index) => [index + 1, line, expectedPaths[index]] as const,
    ),
  )("rejects bad-events.ndjson line %d at %s", (_line, text, path) => {
    const parsed = parseOrUndefined(text);
    if (path === undefined) {
      expect(parsed).toBeUndefined();
      return;
    }
    expect(parsed).toBeDefined();
    const result = validateAuditEvent(parsed?.value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems.map((problem) => problem.path)).toContain(path);
    for (const problem of result.problems)
      expect(problem.message.length).toBeGreaterThan(0);
  });

  it("accepts a minimal event and keeps unknown top-level fields", () => {
    const result = validateAuditEvent({
      ...minimalEvent,
      vendor_field: { x: 1 },
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.event_id).toBe(minimalEvent.event_id);
  });

  it.each([
    ["schema", "/schema"],
    ["event_id", "/event_id"],
    ["time", "/time"],
    ["agent", "/agent"],
    ["credential", "/credential"],
    ["action", "/action"],
    ["outcome", "/outcome"],
  ])("names a missing required field %s as %s", (field, path) => {
    const event: Record<string, unknown> = { ...minimalEvent };
    delete event[field];
    const result = validateAuditEvent(event);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toContainEqual({ path, message: "is required" });
  });

  it("names an unknown field inside a closed object", () => {
    const result = validateAuditEvent({
      ...minimalEvent,
      agent: { id: "a", secret: "s" },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toContainEqual({
        path: "/agent/secret",
        message: "is not allowed here",
      });
  });

  it("lists the allowed values of an enum", () => {
    const result = validateAuditEvent({ ...minimalEvent, outcome: "maybe" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems[0]?.path).toBe("/outcome");
      expect(result.problems[0]?.message).toContain("success");
    }
  });

  it.each([null, undefined, 42, "event", [], true])(
    "rejects the non-object %j at the root",
    (value) => {
      const result = validateAuditEvent(value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]?.path).toBe("/");
    },
  );

  it("rejects events whose only keys are prototype names without polluting Object.prototype", () => {
    const value = JSON.parse(
      '{"__proto__":{"schema":"agent-audit/v1","polluted":true},"constructor":{"prototype":{"x":1}}}',
    ) as unknown;
    expect(validateAuditEvent(value).ok).toBe(false);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("never throws on arbitrary JSON values (property)", () => {
    const key = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "__proto__",
        "constructor",
        "prototype",
        "toString",
        "hasOwnProperty",
        "schema",
        "agent",
        "id",
        "verb",
      ),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.anything({
            key,
            withNullPrototype: true,
            withMap: true,
            withSet: true,
            withDate: true,
            withTypedArray: true,
            withSparseArray: true,
            withBoxedValues: true,
          }),
        ),
        (value) => {
          const result = validateAuditEvent(value);
          expect(typeof result.ok).toBe("boolean");
          if (!result.ok) expect(Array.isArray(result.problems)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws on near-valid events with arbitrary field values (property)", () => {
    const fields = Object.keys(minimalEvent);
    fc.assert(
      fc.property(
        fc.constantFrom(...fields),
        fc.jsonValue(),
        (field, value) => {
          const event: Record<string, unknown> = {
            ...minimalEvent,
            [field]: value,
          };
          const result = validateAuditEvent(JSON.parse(JSON.stringify(event)));
          if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("validateDecision", () => {
  it("accepts a valid decision", () => {
    const result = validateDecision(decision);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("rejects risk 2", () => {
    const result = validateDecision({ ...decision, risk: 2 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.path).toBe("/risk");
  });

  it.each([
    [{ ...decision, action: "ban" }, "/action"],
    [{ ...decision, reasons: [] }, "/reasons"],
    [
      { ...decision, reasons: [{ detector: "x", score: -0.1, summary: "s" }] },
      "/reasons/0/score",
    ],
    [{ ...decision, schema: "agent-decision/v2" }, "/schema"],
    [{ ...decision, at: "now" }, "/at"],
  ])("rejects %j at %s", (value, path) => {
    const result = validateDecision(value);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((problem) => problem.path)).toContain(path);
  });
});
