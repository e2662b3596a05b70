import type { DecisionV1 } from "@warden/shared";
import { describe, expect, it } from "vitest";
import { createDecisionLog, readDecisionLimit } from "./decision-log.js";

const decision = (n: number, action: DecisionV1["action"] = "alert") =>
  ({
    decision_id: `d${n}`,
    action,
    tenant: n % 2 ? "odd" : "even",
  }) as DecisionV1;

describe("the all-in-one's decision log", () => {
  it("keeps the newest decisions, newest last, and counts them all", () => {
    const log = createDecisionLog(3);
    for (let n = 1; n <= 5; n += 1)
      log.add(decision(n, n === 5 ? "revoke" : "alert"));
    expect(log.latest(10).map((d) => d.decision_id)).toEqual([
      "d3",
      "d4",
      "d5",
    ]);
    expect(log.latest(2).map((d) => d.decision_id)).toEqual(["d4", "d5"]);
    expect(log.latest(10, "odd").map((d) => d.decision_id)).toEqual([
      "d3",
      "d5",
    ]);
    expect(log.counts()).toEqual({ alert: 4, step_up: 0, revoke: 1 });
  });

  it("reads ?limit= strictly", () => {
    expect(readDecisionLimit({})).toEqual({ ok: true, value: 100 });
    expect(readDecisionLimit({ limit: "7" })).toEqual({ ok: true, value: 7 });
    for (const limit of ["0", "10001", "1e3", "-2", ""])
      expect(readDecisionLimit({ limit }).ok, limit).toBe(false);
  });
});
