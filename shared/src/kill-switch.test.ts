import { describe, expect, it } from "vitest";
import { holdClassesOf, parseKillSwitchMessage } from "./kill-switch.js";

const bytes = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value));
const base = {
  version: 1,
  tenant: "acme",
  agent_id: "a",
  credential_ids: [],
  decision_id: "d",
  reason: "r",
  issued_at: "2026-11-23T12:00:00.000Z",
  expires_at: null,
};

describe("kill-switch hold", () => {
  it("classifies calls by verb, counterparty and sensitivity", () => {
    expect(holdClassesOf({ verb: "read" })).toEqual([]);
    expect(
      holdClassesOf({ verb: "export", sensitivity: "restricted" }),
    ).toEqual(["export", "restricted"]);
    expect(holdClassesOf({ verb: "execute", counterparty: "x" })).toEqual([
      "send_external",
    ]);
    expect(holdClassesOf({ verb: "read", counterparty: "x" })).toEqual([]);
    expect(holdClassesOf({ verb: "delegate" })).toEqual(["delegate"]);
  });

  it("a hold must say what it holds and until when; other actions carry none", () => {
    const hold = { actions: ["export"], answer_by: "2026-11-23T12:15:00.000Z" };
    expect(
      parseKillSwitchMessage(bytes({ ...base, action: "hold", hold })).ok,
    ).toBe(true);
    for (const bad of [
      { ...base, action: "hold" },
      { ...base, action: "hold", hold: { ...hold, actions: [] } },
      { ...base, action: "hold", hold: { ...hold, actions: ["read"] } },
      { ...base, action: "hold", hold: { actions: ["export"] } },
      { ...base, action: "revoke", hold },
    ])
      expect(parseKillSwitchMessage(bytes(bad)).ok).toBe(false);
  });
});
