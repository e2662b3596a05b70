import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CanonicalEvent } from "@warden/shared";
import { decisionRow, eventRow, revocationRow } from "./rows.js";

function event(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    schema: "agent-event/v1",
    event_id: "e1",
    time: "2026-01-05T10:00:00.000Z",
    time_ms: Date.parse("2026-01-05T10:00:00.000Z"),
    received_ms: 0,
    late: false,
    tenant: "acme",
    agent: { id: "child", kind: "support", instance: "pod-1" },
    credential: { id: "key-1", type: "api_key", scopes: ["crm.read"] },
    action: { name: "crm.contacts.read", verb: "read" },
    resource: { id: "contacts", type: "table", sensitivity: "confidential" },
    outcome: "success",
    bytes_out: 512,
    source: { ip: "10.0.0.1", gateway: "gw-1" },
    delegation: ["root", "parent", "child"],
    chain_depth: 3,
    chain_root: "root",
    attributes: {},
    ...overrides,
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe("eventRow", () => {
  it("maps every column the vocabularies need", () => {
    const { id, timeMs, row } = eventRow(event());
    expect(id).toBe("e1");
    expect(timeMs).toBe(Date.parse("2026-01-05T10:00:00.000Z"));
    expect(row).toMatchObject({
      agent_kind: "support",
      resource_type: "table",
      sensitivity: "confidential",
      source_ip: "10.0.0.1",
      gateway: "gw-1",
      instance: "pod-1",
      scopes: ["crm.read"],
      delegation_parent: "parent",
      chain_depth: 3,
      bytes_out: 512,
      late: 0,
    });
  });

  it("keeps numbers inside their column types whatever the event says", () => {
    fc.assert(
      fc.property(
        fc.double(),
        fc.integer({ min: -5, max: 10_000 }),
        (bytes, depth) => {
          const { row } = eventRow(
            event({ bytes_out: bytes, chain_depth: depth }),
          );
          expect(Number.isSafeInteger(row["bytes_out"])).toBe(true);
          expect(row["bytes_out"]).toBeGreaterThanOrEqual(0);
          expect(row["chain_depth"]).toBeGreaterThanOrEqual(0);
          expect(row["chain_depth"]).toBeLessThanOrEqual(255);
        },
      ),
    );
  });

  it("has no parent for an undelegated agent", () => {
    expect(
      eventRow(event({ delegation: ["child"] })).row["delegation_parent"],
    ).toBe("");
  });
});

describe("decisionRow", () => {
  const decision = {
    schema: "agent-decision/v1",
    decision_id: "d1",
    tenant: "acme",
    agent_id: "a1",
    action: "revoke",
    risk: 0.9,
    at: "2026-01-05T10:00:00.000Z",
    reasons: [{ detector: "burst", score: 1, summary: "1,250 calls in 4 s" }],
  };

  it("reads the decision and its detectors", () => {
    const { id, row } = decisionRow(json(decision), 1);
    expect(id).toBe("d1");
    expect(row).toMatchObject({
      action: "revoke",
      risk: 0.9,
      at: Date.parse(decision.at),
      decided_at: Date.parse(decision.at),
      detectors: ["burst"],
      summary: "1,250 calls in 4 s",
    });
  });

  it("refuses what is not a decision", () => {
    expect(() => decisionRow(json({ ...decision, schema: "x" }), 1)).toThrow();
    expect(() => decisionRow(Buffer.from("{"), 1)).toThrow();
    expect(() => decisionRow(null, 1)).toThrow();
  });
});

describe("revocationRow", () => {
  it("uses the record's id, or a hash of its bytes that is stable on re-delivery", () => {
    expect(
      revocationRow(json({ revocation_id: "r1", agent_id: "a" }), 5).id,
    ).toBe("r1");
    const bytes = json({ agent_id: "a", status: "delivered" });
    const first = revocationRow(bytes, 5);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    expect(revocationRow(Buffer.from(bytes), 9).id).toBe(first.id);
    expect(first.row).toMatchObject({ outcome: "delivered", at: 5 });
  });

  it("refuses what is not a JSON object", () => {
    expect(() => revocationRow(json([1]), 1)).toThrow();
    expect(() => revocationRow(Buffer.from("nope"), 1)).toThrow();
  });
});
