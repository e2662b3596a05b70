import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAuditEvent } from "./audit-event.js";
import { createEventBuilder, type EventInput } from "./event-builder.js";
import { InvalidEventError } from "./errors.js";

const text = (maxLength: number) =>
  fc.string({ unit: "binary", minLength: 1, maxLength });
const optional = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(arbitrary, { nil: undefined });
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const inputs: fc.Arbitrary<EventInput> = fc.record({
  tenant: optional(fc.string({ maxLength: 128 })),
  agent: fc.record({
    id: text(256),
    kind: optional(fc.string({ maxLength: 128 })),
    owner: optional(fc.string({ maxLength: 256 })),
    instance: optional(fc.string({ maxLength: 256 })),
  }),
  credential: fc.record({
    id: text(256),
    type: fc.constantFrom(
      "api_key",
      "oauth_token",
      "jit_token",
      "mtls",
      "spiffe_svid",
      "password",
      "other",
    ),
    scopes: optional(
      fc.array(fc.string({ maxLength: 256 }), { maxLength: 20 }),
    ),
    expires_at: optional(
      fc
        .date({
          noInvalidDate: true,
          min: new Date(0),
          max: new Date("9999-12-31"),
        })
        .map((d) => d.toISOString()),
    ),
  }),
  action: fc.record({
    name: text(256),
    verb: fc.constantFrom(
      "read",
      "write",
      "delete",
      "export",
      "admin",
      "execute",
      "delegate",
      "auth",
    ),
    target: optional(fc.webUrl()),
  }),
  resource: optional(
    fc.record({
      id: optional(fc.string({ maxLength: 512 })),
      sensitivity: optional(
        fc.constantFrom("public", "internal", "confidential", "restricted"),
      ),
    }),
  ),
  outcome: fc.constantFrom("success", "denied", "error"),
  status_code: optional(fc.integer({ min: 0, max: 999 })),
  bytes_out: optional(count),
  records: optional(count),
  duration_ms: optional(
    fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  ),
  time: optional(
    fc.oneof(
      fc.date({
        noInvalidDate: true,
        min: new Date(0),
        max: new Date("2099-01-01"),
      }),
      fc.integer({ min: 0, max: Date.parse("2099-01-01") }),
    ),
  ),
  attributes: optional(
    fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.boolean())),
  ),
});

/** A token's `act` claim nesting `actors`, the newest first, as RFC 8693 section 4.1 has it. */
function claimsWithActors(
  subject: string,
  actors: string[],
): Record<string, unknown> {
  let act: Record<string, unknown> | undefined;
  for (const actor of [...actors].reverse())
    act = act ? { sub: actor, act } : { sub: actor };
  return { sub: subject, ...(act ? { act } : {}) };
}

describe("createEventBuilder", () => {
  const builder = createEventBuilder({
    gateway: "gw-test",
    maxFutureSkewMs: Number.MAX_SAFE_INTEGER,
  });

  it("turns every well-typed input into an event the ingest's schema accepts", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const event = builder.build(input);
        expect(checkAuditEvent(event)).toMatchObject({ ok: true });
        expect(event.agent.id).toBe(input.agent.id);
        expect(event.source?.gateway).toBe("gw-test");
      }),
      { numRuns: 300 },
    );
  });

  it("takes the delegation chain from nested act claims, originator first", () => {
    fc.assert(
      fc.property(
        inputs,
        fc.array(text(64), { minLength: 1, maxLength: 30 }),
        fc.emailAddress(),
        (input, actors, human) => {
          const current = actors[0] ?? "";
          const event = builder.build(
            { ...input, agent: { id: current } },
            { tokenClaims: claimsWithActors(human, actors) },
          );
          expect(event.delegation).toEqual([...actors].reverse());
          expect(event.delegation?.at(-1)).toBe(current);
          if (!actors.includes(human)) expect(event.on_behalf_of).toBe(human);
          expect(checkAuditEvent(event)).toMatchObject({ ok: true });
        },
      ),
    );
  });

  it("appends the calling agent when the token names a different current actor", () => {
    const event = builder.build(
      {
        agent: { id: "agent:sub" },
        credential: { id: "jti-1", type: "oauth_token" },
        action: { name: "crm.read", verb: "read" },
        outcome: "success",
      },
      { tokenClaims: claimsWithActors("alice@example.com", ["agent:planner"]) },
    );
    expect(event.delegation).toEqual(["agent:planner", "agent:sub"]);
    expect(event.on_behalf_of).toBe("alice@example.com");
  });

  it("leaves delegation out for a token without act", () => {
    const event = builder.build(
      {
        agent: { id: "a" },
        credential: { id: "k", type: "api_key" },
        action: { name: "x", verb: "read" },
        outcome: "success",
      },
      { tokenClaims: { sub: "a" } },
    );
    expect(event.delegation).toBeUndefined();
    expect(event.on_behalf_of).toBeUndefined();
  });

  it("refuses an act claim nested deeper than the schema allows, naming /delegation", () => {
    const actors = Array.from({ length: 40 }, (_, i) => `agent-${i}`);
    expect(() =>
      builder.build(
        {
          agent: { id: "agent-0" },
          credential: { id: "k", type: "api_key" },
          action: { name: "x", verb: "read" },
          outcome: "success",
        },
        { tokenClaims: claimsWithActors("bob", actors) },
      ),
    ).toThrow(/\/delegation/u);
  });

  it("names every offending field in one error", () => {
    const bad = {
      agent: { id: "" },
      credential: { id: "k", type: "api_key" },
      action: { name: "x", verb: "steal" },
      outcome: "success",
      bytes_out: -1,
    } as unknown as EventInput;
    try {
      builder.build(bad);
      expect.fail("should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      const paths = (error as InvalidEventError).problems.map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining(["/agent/id", "/action/verb", "/bytes_out"]),
      );
      expect((error as Error).message).toContain("/action/verb must be one of");
    }
  });

  it("names a missing required field and an unknown nested field", () => {
    const bad = {
      agent: { id: "a", name: "x" },
      action: { name: "x", verb: "read" },
      outcome: "success",
    } as unknown as EventInput;
    expect(() => builder.build(bad)).toThrow(
      /\/credential is required.*|\/agent\/name/u,
    );
    try {
      builder.build(bad);
    } catch (error) {
      expect((error as InvalidEventError).problems).toEqual(
        expect.arrayContaining([
          { path: "/credential", message: "is required" },
          { path: "/agent/name", message: "is not a field of audit event v1" },
        ]),
      );
    }
  });

  it("refuses times the ingest would dead-letter and events over the size limit", () => {
    const strict = createEventBuilder({
      nowMs: () => 1_000_000,
      maxEventBytes: 1024,
    });
    const base: EventInput = {
      agent: { id: "a" },
      credential: { id: "k", type: "api_key" },
      action: { name: "x", verb: "read" },
      outcome: "success",
    };
    expect(() =>
      strict.build({ ...base, time: 1_000_000 + 6 * 60_000 }),
    ).toThrow(/\/time/u);
    expect(() => strict.build({ ...base, time: new Date("nonsense") })).toThrow(
      /\/time is not a valid date/u,
    );
    expect(() => strict.build({ ...base, time: "yesterday" })).toThrow(
      /\/time/u,
    );
    expect(() => strict.build({ ...base, time: -1e15 })).toThrow(
      /\/time is outside/u,
    );
    expect(() =>
      strict.build({ ...base, attributes: { blob: "x".repeat(2000) } }),
    ).toThrow(/refuses events over 1024/u);
    expect(strict.build(base).time).toBe(new Date(1_000_000).toISOString());
  });

  it("rejects contradictory options at creation, naming them", () => {
    expect(() =>
      createEventBuilder({ maxEventBytes: 10, maxFutureSkewMs: -1 }),
    ).toThrow(/maxEventBytes.*maxFutureSkewMs/u);
  });
});
