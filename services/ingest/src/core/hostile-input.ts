import fc from "fast-check";
import type { AuditEventV1 } from "@warden/shared";

/**
 * fast-check generators of what gateways might send, good and bad, shared by the unit
 * tests of the core and the integration test against the running service.
 */

const id = (minLength: number, maxLength: number) =>
  fc.string({ minLength, maxLength, unit: "grapheme" });

const rfc3339 = fc
  .integer({
    min: Date.parse("2020-01-01T00:00:00Z"),
    max: Date.parse("2026-11-02T10:00:00Z"),
  })
  .map((ms) => new Date(ms).toISOString());

/** Audit events v1 that must be accepted (ids may carry surrounding spaces to trim). */
export function validAuditEvent(): fc.Arbitrary<AuditEventV1> {
  const padded = (text: string) => ` ${text} `;
  const visibleId = (max: number) =>
    fc.stringMatching(new RegExp(`^[a-z0-9:/._-]{8,${max}}$`));
  return fc.record(
    {
      schema: fc.constant("agent-audit/v1" as const),
      event_id: visibleId(40),
      time: rfc3339,
      tenant: fc.option(visibleId(20), { nil: undefined }),
      agent: fc.record(
        {
          id: visibleId(60).chain((value) =>
            fc.constantFrom(value, padded(value)),
          ),
          kind: fc.option(id(1, 20), { nil: undefined }),
        },
        { requiredKeys: ["id"] },
      ),
      delegation: fc.option(
        fc.array(visibleId(30), { minLength: 1, maxLength: 5 }),
        {
          nil: undefined,
        },
      ),
      credential: fc.record({
        id: visibleId(30),
        type: fc.constantFrom("api_key", "oauth_token", "mtls" as const),
      }),
      action: fc.record({
        name: id(1, 40),
        verb: fc.constantFrom("read", "write", "export", "admin" as const),
      }),
      outcome: fc.constantFrom("success", "denied", "error" as const),
      bytes_out: fc.option(fc.nat(), { nil: undefined }),
      duration_ms: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), {
        nil: undefined,
      }),
    },
    {
      requiredKeys: [
        "schema",
        "event_id",
        "time",
        "agent",
        "credential",
        "action",
        "outcome",
      ],
    },
  );
}

const encode = (text: string): Uint8Array => Buffer.from(text, "utf8");

// Values that break naive handlers: wrong types, edge numbers, hostile strings.
const weirdValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER + 2,
    "",
    " ",
    "\u0000",
    "\ud800",
    "\u202e",
    "𝕏".repeat(300),
    [],
    {},
    { __proto__: { admin: true } },
  ),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A valid event with one field (possibly nested) replaced by something wrong. */
function mutatedEvent(): fc.Arbitrary<string> {
  const paths = [
    ["schema"],
    ["event_id"],
    ["time"],
    ["tenant"],
    ["agent"],
    ["agent", "id"],
    ["credential", "type"],
    ["action", "verb"],
    ["outcome"],
    ["bytes_out"],
    ["delegation"],
    ["__proto__"],
    ["constructor"],
  ];
  return fc
    .tuple(validAuditEvent(), fc.constantFrom(...paths), weirdValue)
    .map(([event, path, value]) => {
      const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
      let target: Record<string, unknown> = copy;
      for (const key of path.slice(0, -1)) {
        const next = target[key];
        if (typeof next !== "object" || next === null) break;
        target = next as Record<string, unknown>;
      }
      const last = path.at(-1) ?? "schema";
      Object.defineProperty(target, last, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return JSON.stringify(copy);
    });
}

/** Everything at once: random bytes, truncated JSON, deep nesting, huge strings, mutations. */
export function hostileMessage(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    validAuditEvent().chain((event) => {
      const text = JSON.stringify(event);
      return fc
        .nat({ max: text.length - 1 })
        .map((cut) => encode(text.slice(0, cut)));
    }),
    fc
      .integer({ min: 1, max: 20_000 })
      .map((depth) =>
        encode(
          `{"schema":"agent-audit/v1","attributes":${"[".repeat(depth)}${"]".repeat(depth)}}`,
        ),
      ),
    fc
      .integer({ min: 1, max: 100_000 })
      .map((size) =>
        encode(`{"schema":"agent-audit/v1","event_id":"${"x".repeat(size)}"}`),
      ),
    fc.string({ unit: "binary" }).map(encode),
    fc.jsonValue().map((value) => encode(JSON.stringify(value) ?? "null")),
    mutatedEvent().map(encode),
    validAuditEvent().map((event) => encode(JSON.stringify(event))),
  );
}
