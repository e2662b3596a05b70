import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditEventV1 } from "@warden/shared";
import { acceptAuditMessage, REJECTION } from "./accept.js";
import { hostileMessage, validAuditEvent } from "./hostile-input.js";

const options = {
  maxEventBytes: 64 * 1024,
  maxFutureSkewMs: 300_000,
  lateAfterMs: 300_000,
  nowMs: Date.parse("2026-11-02T10:00:00Z"),
};
const examples = readFileSync(
  new URL(
    "../../../../shared/contracts/examples/audit-events.ndjson",
    import.meta.url,
  ),
  "utf8",
)
  .split("\n")
  .filter((line) => line.trim() !== "");
const encode = (value: unknown): Uint8Array =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("acceptAuditMessage", () => {
  it("accepts the contract's examples and fills in the canonical defaults", () => {
    for (const line of examples)
      expect(acceptAuditMessage(encode(line), options).ok).toBe(true);
    const ci = acceptAuditMessage(encode(examples[2] ?? ""), options);
    expect(ci.ok && ci.event).toMatchObject({
      tenant: "default",
      delegation: ["agent:ci/3"],
      chain_depth: 1,
      chain_root: "agent:ci/3",
    });
  });

  it("moves unknown top-level fields into attributes", () => {
    const event = {
      ...JSON.parse(examples[0] ?? "{}"),
      gateway_build: "1.2.3",
    } as Record<string, unknown>;
    const result = acceptAuditMessage(encode(event), options);
    expect(result.ok && result.event.attributes).toEqual({
      gateway_build: "1.2.3",
    });
  });

  it("names the reason of each kind of rejection", () => {
    const base = JSON.parse(examples[2] ?? "{}") as Record<string, unknown>;
    expect(acceptAuditMessage(encode("{not json"), options)).toMatchObject({
      ok: false,
      reason: REJECTION.invalidJson,
    });
    expect(
      acceptAuditMessage(new Uint8Array([0x7b, 0xff, 0x7d]), options),
    ).toMatchObject({ reason: REJECTION.invalidJson });
    expect(
      acceptAuditMessage(
        encode({ ...base, schema: "agent-audit/v2" }),
        options,
      ),
    ).toMatchObject({ reason: REJECTION.unsupportedSchemaVersion });
    expect(
      acceptAuditMessage(encode({ ...base, bytes_out: -1 }), options),
    ).toMatchObject({
      reason: REJECTION.schemaViolation,
      detail: "/bytes_out must be >= 0",
    });
    expect(
      acceptAuditMessage(
        encode({ ...base, time: "2026-11-02T10:06:00Z" }),
        options,
      ),
    ).toMatchObject({ reason: REJECTION.timeInFuture });
    expect(
      acceptAuditMessage(new Uint8Array(options.maxEventBytes + 1), options),
    ).toMatchObject({ reason: REJECTION.tooLarge });
  });

  it("flags late events instead of dropping them", () => {
    const base = JSON.parse(examples[2] ?? "{}") as Record<string, unknown>;
    const late = acceptAuditMessage(
      encode({ ...base, time: "2026-11-02T09:00:00Z" }),
      options,
    );
    expect(late).toMatchObject({ ok: true, event: { late: true } });
    const fresh = acceptAuditMessage(
      encode({ ...base, time: "2026-11-02T09:58:00Z" }),
      options,
    );
    expect(fresh).toMatchObject({ ok: true, event: { late: false } });
  });

  it("refuses what the schema allows but Warden cannot carry", () => {
    const base = JSON.parse(examples[2] ?? "{}") as Record<string, unknown>;
    const withRaw = (field: string, raw: string): Uint8Array =>
      encode(
        JSON.stringify({ ...base, [field]: 0 }).replace(
          `"${field}":0`,
          `"${field}":${raw}`,
        ),
      );
    expect(
      acceptAuditMessage(withRaw("duration_ms", "1e400"), options),
    ).toMatchObject({
      reason: REJECTION.schemaViolation,
      detail: "/duration_ms must be number",
    });
    expect(
      acceptAuditMessage(withRaw("bytes_out", "9007199254740993"), options),
    ).toMatchObject({
      detail: "/bytes_out must be at most 2^53-1",
    });
    expect(
      acceptAuditMessage(encode({ ...base, event_id: "          " }), options),
    ).toMatchObject({ detail: "/event_id must not be blank" });
    expect(
      acceptAuditMessage(
        encode({ ...base, delegation: ["agent:a", " "] }),
        options,
      ),
    ).toMatchObject({ detail: "/delegation/1 must not be blank" });
    const deep = (examples[2] ?? "").replace(
      /}$/,
      `,"x":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    );
    expect(acceptAuditMessage(encode(deep), options)).toMatchObject({
      reason: REJECTION.schemaViolation,
      detail: "/ nests deeper than 32 levels",
    });
    expect(acceptAuditMessage(encode("[1,2]"), options)).toMatchObject({
      detail: "/ must be a JSON object, got an array",
    });
  });

  it("keeps prototype-polluting keys as plain data and pollutes nothing", () => {
    const base = examples[2] ?? "{}";
    const hostile = base.replace(
      /}$/,
      ',"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    const result = acceptAuditMessage(encode(hostile), options);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    const attributes = result.ok ? result.event.attributes : {};
    expect(Object.keys(attributes).sort()).toEqual([
      "__proto__",
      "constructor",
    ]);
    expect(JSON.parse(JSON.stringify(result.ok && result.event))).toMatchObject(
      {
        attributes: { constructor: { prototype: { polluted: true } } },
      },
    );
  });

  it("trims ids and keeps the canonical fields consistent for any valid event", () => {
    fc.assert(
      fc.property(validAuditEvent(), (event) => {
        const result = acceptAuditMessage(encode(event), options);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const canonical = result.event;
        expect(canonical.agent.id).toBe(canonical.agent.id.trim());
        expect(canonical.delegation.at(-1) ?? canonical.agent.id).toBeTruthy();
        expect(canonical.chain_depth).toBe(canonical.delegation.length);
        expect(canonical.chain_root).toBe(canonical.delegation[0]);
        expect(canonical.time_ms).toBe(Date.parse(event.time));
      }),
    );
  });

  it("never throws and always gives a stable reason, whatever the bytes", () => {
    const reasons = new Set<string>(Object.values(REJECTION));
    fc.assert(
      fc.property(hostileMessage(), (bytes) => {
        const result = acceptAuditMessage(bytes, options);
        if (!result.ok) {
          expect(reasons.has(result.reason)).toBe(true);
          expect(result.detail.length).toBeGreaterThan(0);
        } else {
          expect(() => JSON.stringify(result.event)).not.toThrow();
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("acceptAuditMessage's tenant binding (issue 16)", () => {
  const credential = {
    gateway: "edge-1",
    sha256: Buffer.alloc(32),
    tenant: "acme",
    agentPrefixes: [] as string[],
  };
  const bound = { kind: "gateway", credential } as const;
  const event = (fields: Record<string, unknown>) => ({
    ...(JSON.parse(examples[2] ?? "{}") as Record<string, unknown>),
    ...fields,
  });

  it("stamps the credential's tenant, never the body's", () => {
    const stamped = acceptAuditMessage(encode(event({})), options, bound);
    expect(stamped.ok && stamped.event.tenant).toBe("acme");
    const same = acceptAuditMessage(
      encode(event({ tenant: " acme " })),
      options,
      bound,
    );
    expect(same.ok && same.event.tenant).toBe("acme");
  });

  it("rejects a body naming another tenant, and an agent outside the prefixes", () => {
    expect(
      acceptAuditMessage(encode(event({ tenant: "globex" })), options, bound),
    ).toMatchObject({ ok: false, reason: REJECTION.tenantMismatch });
    const prefixed = {
      kind: "gateway",
      credential: { ...credential, agentPrefixes: ["bot-"] },
    } as const;
    expect(
      acceptAuditMessage(encode(event({})), options, prefixed),
    ).toMatchObject({ ok: false, reason: REJECTION.agentNotAllowed });
    const allowed = acceptAuditMessage(
      encode(event({ agent: { id: "bot-7" } })),
      options,
      prefixed,
    );
    expect(allowed.ok).toBe(true);
  });

  it("rejects unauthenticated bytes without parsing them", () => {
    expect(
      acceptAuditMessage(encode("{not json"), options, {
        kind: "unauthenticated",
        detail: "no signature",
      }),
    ).toEqual({
      ok: false,
      reason: REJECTION.unauthenticated,
      detail: "no signature",
    });
  });

  it("never lets a bound event carry a tenant other than its credential's", () => {
    fc.assert(
      fc.property(validAuditEvent(), (generated) => {
        const result = acceptAuditMessage(encode(generated), options, bound);
        return !result.ok || result.event.tenant === "acme";
      }),
    );
  });
});

describe("acceptAuditMessage on an event a mapper built (issue 17)", () => {
  const built = (event: unknown) => ({
    event: event as AuditEventV1,
    bytes: Buffer.from(JSON.stringify(event)),
  });

  it("gives exactly what the event's own bytes give, accepted or rejected", () => {
    // Valid events, and ones with a field broken the ways a mapper could break it.
    const broken = fc.oneof(
      validAuditEvent(),
      validAuditEvent().map((event) => ({ ...event, time: "yesterday" })),
      validAuditEvent().map((event) => ({
        ...event,
        time: "2099-01-01T00:00:00Z",
      })),
      validAuditEvent().map((event) => ({ ...event, agent: { id: "" } })),
      validAuditEvent().map((event) => ({ ...event, outcome: "maybe" })),
      validAuditEvent().map((event) => ({
        ...event,
        schema: "agent-audit/v9",
      })),
    );
    fc.assert(
      fc.property(broken, (event) => {
        const bytes = Buffer.from(JSON.stringify(event));
        expect(acceptAuditMessage(built(event), options)).toEqual(
          acceptAuditMessage(bytes, options),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("holds a built event to the same byte limit, counted on its serialisation", () => {
    const event = JSON.parse(examples[0] ?? "{}") as AuditEventV1;
    const message = built(event);
    expect(
      acceptAuditMessage(message, {
        ...options,
        maxEventBytes: message.bytes.length - 1,
      }),
    ).toEqual({
      ok: false,
      reason: REJECTION.tooLarge,
      detail: `message is ${message.bytes.length} bytes, limit ${message.bytes.length - 1}`,
    });
    expect(
      acceptAuditMessage(message, {
        ...options,
        maxEventBytes: message.bytes.length,
      }).ok,
    ).toBe(true);
  });

  it("does no work for an unauthenticated sender", () => {
    expect(
      acceptAuditMessage(built({}), options, {
        kind: "unauthenticated",
        detail: "no credential",
      }),
    ).toEqual({
      ok: false,
      reason: REJECTION.unauthenticated,
      detail: "no credential",
    });
  });

  it("keeps every data-dependent check for an event its mapper says conforms", () => {
    // What `conforms` skips is the schema and the depth walk only; blank ids, size, time and
    // the credential's tenant are judged as for any other event.
    const base = JSON.parse(examples[0] ?? "{}") as AuditEventV1;
    const conforming = (event: AuditEventV1) => ({
      ...built(event),
      conforms: true,
    });
    expect(
      acceptAuditMessage(
        conforming({ ...base, agent: { ...base.agent, id: "   " } }),
        options,
      ),
    ).toMatchObject({ ok: false, detail: "/agent/id must not be blank" });
    expect(
      acceptAuditMessage(
        conforming({ ...base, time: "2099-01-01T00:00:00Z" }),
        options,
      ),
    ).toMatchObject({ ok: false, reason: REJECTION.timeInFuture });
    expect(
      acceptAuditMessage(conforming(base), { ...options, maxEventBytes: 10 }),
    ).toMatchObject({ ok: false, reason: REJECTION.tooLarge });
    const bound = {
      kind: "gateway",
      credential: {
        gateway: "edge-1",
        sha256: Buffer.alloc(32),
        tenant: "acme",
        agentPrefixes: [] as string[],
      },
    } as const;
    expect(
      acceptAuditMessage(
        conforming({ ...base, tenant: "globex" }),
        options,
        bound,
      ),
    ).toMatchObject({ ok: false, reason: REJECTION.tenantMismatch });
    expect(acceptAuditMessage(conforming(base), options)).toEqual(
      acceptAuditMessage(built(base), options),
    );
  });
});
