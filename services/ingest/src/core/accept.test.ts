import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptAuditMessage, REJECTION } from "./accept.js";

const options = {
  maxEventBytes: 64 * 1024,
  maxFutureSkewMs: 300_000,
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

  it("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.jsonValue().map(encode),
          fc.string().map(encode),
        ),
        (bytes) => {
          const result = acceptAuditMessage(bytes, options);
          expect(typeof result.ok).toBe("boolean");
        },
      ),
    );
  });
});
