import { describe, expect, it } from "vitest";
import {
  createScoringEngine,
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
} from "@warden/detector";
import { validateDecision } from "@warden/shared";
import {
  createReplaySummary,
  formatReplaySummary,
  replayLines,
} from "./replay.js";

const T0 = Date.parse("2026-11-20T09:00:00.000Z");

function auditLine(agent: string, index: number, timeMs: number): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `event-${agent}-${index}`,
    time: new Date(timeMs).toISOString(),
    tenant: "acme",
    agent: { id: agent, kind: "support", owner: "owner@acme.example" },
    credential: { id: `key-${agent}`, type: "api_key" },
    action: { name: "crm.read", verb: "read" },
    outcome: "success",
  });
}

async function replayAll(lines: readonly string[]) {
  const engine = createScoringEngine({
    limits: DEFAULT_DETECTOR_LIMITS,
    policy: DEFAULT_POLICY,
    maxAgents: 1_000,
    idleEvictMs: 3_600_000,
  });
  const summary = createReplaySummary();
  const decisions = await replayLines(lines, engine, summary);
  return { summary, decisions };
}

describe("replay", () => {
  // Three days old: history is replayed in its own time, not rejected or flagged as late.
  const lines = [
    ...Array.from({ length: 150 }, (_, i) =>
      auditLine("runaway", i, T0 + i * 20),
    ),
    ...Array.from({ length: 20 }, (_, i) =>
      auditLine("calm", i, T0 + i * 60_000),
    ),
    "not json",
    "",
  ];

  it("revokes a runaway agent once, in event time, and summarises the run", async () => {
    const { summary, decisions } = await replayAll(lines);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      agent_id: "runaway",
      action: "revoke",
      trigger_event_id: "event-runaway-100",
      decided_at: new Date(T0 + 100 * 20).toISOString(),
      owner: "owner@acme.example",
    });
    expect(validateDecision(decisions[0]).ok).toBe(true);
    expect(formatReplaySummary(summary)).toEqual([
      "events: 170 accepted of 171 lines (1 rejected: invalid_json 1)",
      "agents: 2",
      "decisions by action: revoke 1",
      "decisions by detector: burst 1",
      "top agents: acme/runaway 1",
    ]);
  });

  it("gives byte-identical decisions for the same input", async () => {
    expect(JSON.stringify((await replayAll(lines)).decisions)).toBe(
      JSON.stringify((await replayAll(lines)).decisions),
    );
  });

  it("drops a re-sent event as the ingest would, so a gateway's retry cannot trip the burst limit", async () => {
    // 90 distinct calls, each sent twice: 180 lines, under the 100-call limit once de-duplicated.
    const retried = Array.from({ length: 90 }, (_, i) =>
      auditLine("retrying", i, T0 + i * 20),
    ).flatMap((line) => [line, line]);
    const { summary, decisions } = await replayAll(retried);
    expect(decisions).toEqual([]);
    expect(summary.events).toBe(90);
    expect(summary.duplicates).toBe(90);
    expect(formatReplaySummary(summary)[0]).toBe(
      "events: 90 accepted of 180 lines (0 rejected, 90 duplicates)",
    );
  });
});
