import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BASELINE_FORMAT_VERSION,
  EMPTY_STATS,
  VOCABULARY_DIMENSIONS,
  type BaselineModel,
  type BaselineScope,
  type CanonicalEvent,
  type DecisionV1,
  type Vocabulary,
  type VocabularyDimension,
} from "@warden/shared";
import {
  compact,
  hourRanges,
  renderAgentReport,
  renderAgents,
  renderBaseline,
  table,
} from "./render.js";

function model(scope: BaselineScope, trusted: boolean): BaselineModel {
  const empty: Vocabulary = { distinct: 0, total: 0, top: [] };
  return {
    version: BASELINE_FORMAT_VERSION,
    scope,
    computedAtMs: Date.UTC(2026, 10, 23, 12),
    windowStartMs: Date.UTC(2026, 10, 9, 12),
    windowEndMs: Date.UTC(2026, 10, 23, 12),
    history: {
      events: 420,
      agents: scope.level === "agent" ? 1 : 7,
      firstSeenMs: Date.UTC(2026, 10, 20),
      lastSeenMs: Date.UTC(2026, 10, 23),
      activeMinutes: 300,
      activeHours: 50,
    },
    trusted,
    ratePerMinute: { median: 3, mad: 1, p95: 6, p99: 8, max: 11 },
    ratePerHour: EMPTY_STATS,
    hourOfWeek: null,
    activeHoursOfDay: 0b111111111100000000,
    bytesPerCall: { ...EMPTY_STATS, median: 25_000 },
    bytesPerHour: EMPTY_STATS,
    bytesPerCallByVerb: {},
    bytesPerCallBySensitivity: {},
    deniedRate: 0.015,
    errorRate: 0.02,
    maxChainDepth: 1,
    vocabulary: {
      ...(Object.fromEntries(
        VOCABULARY_DIMENSIONS.map((d) => [d, empty]),
      ) as Record<VocabularyDimension, Vocabulary>),
      actions: {
        distinct: 7,
        total: 420,
        top: [
          ["kb.search", 210],
          ["tickets.get", 105],
        ],
      },
    },
  };
}

const agentScope: BaselineScope = {
  level: "agent",
  tenant: "acme",
  agentId: "bot-1",
  agentKind: "support-bot",
};
const peerScope: BaselineScope = {
  level: "peer",
  tenant: "acme",
  agentKind: "support-bot",
};

describe("agents views", () => {
  it("writes active hours as ranges that give back the mask", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (mask) => {
        const text = hourRanges(mask);
        if (mask === 0) {
          expect(text).toBe("none");
          return;
        }
        let back = 0;
        for (const range of text.split(", ")) {
          const [first = 0, last = first] = range.split("-").map(Number);
          expect(first).toBeLessThanOrEqual(last);
          for (let hour = first; hour <= last; hour += 1) back |= 1 << hour;
        }
        expect(back).toBe(mask);
      }),
    );
    expect(hourRanges(0xffffff)).toBe("00-23");
    expect(hourRanges(0b1000000000000000000000101)).toBe("00, 02");
  });

  it("shortens big numbers and keeps small ones exact", () => {
    expect(compact(0)).toBe("0");
    expect(compact(9_999)).toBe("9999");
    expect(compact(12_345)).toBe("12.3k");
    expect(compact(250_000)).toBe("250k");
    expect(compact(4_200_000)).toBe("4.2M");
    expect(compact(3e10)).toBe("30G");
    expect(compact(0.0156)).toBe("0.016");
  });

  it("aligns columns", () => {
    expect(
      table([
        ["a", "bb", "c"],
        ["ccc", "d", "e"],
      ]),
    ).toEqual(["a    bb  c", "ccc  d   e"]);
  });

  it("ranks agents in the API's order, with no risk shown when nothing was decided", () => {
    const lines = renderAgents([
      {
        tenant: "acme",
        agent_id: "risky",
        calls: 12_000,
        max_risk: 0.9,
        decisions: 2,
        revokes: 1,
      },
      {
        tenant: "acme",
        agent_id: "quiet",
        calls: 40,
        max_risk: 0,
        decisions: 0,
        revokes: 0,
      },
    ]);
    expect(lines[0]).toMatch(
      /^#\s+TENANT\s+AGENT\s+MAX RISK\s+DECISIONS\s+REVOKES\s+CALLS$/,
    );
    expect(lines[1]).toMatch(/^1\s+acme\s+risky\s+0\.90\s+2\s+1\s+12k$/);
    expect(lines[2]).toMatch(/^2\s+acme\s+quiet\s+-\s+0\s+0\s+40$/);
    expect(renderAgents([])).toEqual(["no agents with events in the range"]);
  });

  it("shows the baseline a detector would use: own, else peer group, else tenant", () => {
    const own = model(agentScope, true);
    const peer = model(peerScope, true);
    const tenant = model({ level: "tenant", tenant: "acme" }, true);
    expect(renderBaseline({ agent: own, peer, tenant })[0]).toMatch(
      /^baseline: own,/,
    );
    const young = model(agentScope, false);
    expect(renderBaseline({ agent: young, peer, tenant })[0]).toMatch(
      /^baseline: peer group support-bot \(own baseline not trusted yet\)/,
    );
    expect(renderBaseline({ agent: young, peer: null, tenant })[0]).toMatch(
      /^baseline: tenant/,
    );
    const youngPeer = model(peerScope, false);
    const youngest = renderBaseline({
      agent: young,
      peer: youngPeer,
      tenant: null,
    });
    expect(youngest[0]).toMatch(/^baseline: own,/);
    expect(youngest[1]).toContain("(not trusted: too little history)");
    expect(renderBaseline({ agent: null, peer: null, tenant: null })).toEqual([
      "baseline: none yet (no events in its window)",
    ]);
    const text = renderBaseline({ agent: own, peer, tenant }).join("\n");
    expect(text).toContain(
      "calls per active minute: median 3, MAD 1, p95 6, p99 8, max 11",
    );
    expect(text).toContain("bytes out per call: median 25k");
    expect(text).toContain("denied 1.5%, errors 2.0%");
    expect(text).toContain("active hours (UTC): 08-17");
    expect(text).toContain("actions: kb.search 50%, tickets.get 25% (+5 more)");
  });

  it("lists events, the next-page cursor, decisions and revocations", () => {
    const event = {
      time: "2026-11-23T10:00:00.000Z",
      action: { name: "kb.search", verb: "read" },
      resource: { id: "kb:1" },
      outcome: "success",
      bytes_out: 2048,
    } as unknown as CanonicalEvent;
    const decision = {
      schema: "agent-decision/v1",
      decision_id: "d1",
      agent_id: "bot-1",
      action: "revoke",
      risk: 0.93,
      at: "2026-11-23T10:01:00.000Z",
      reasons: [
        { detector: "rate", score: 0.93, summary: "120 calls/min vs p99 8" },
      ],
    } satisfies DecisionV1;
    const lines = renderAgentReport({
      tenant: "acme",
      agentId: "bot-1",
      fromMs: 0,
      toMs: 86_400_000,
      baseline: { agent: null, peer: null, tenant: null },
      events: [event],
      nextEvents: "CURSOR",
      decisions: [decision],
      revocations: [
        {
          at: "2026-11-23T10:01:02Z",
          action: "revoke",
          outcome: "delivered",
          decision_id: "d1",
        },
      ],
    });
    expect(lines[0]).toBe("agent bot-1 (tenant acme)");
    expect(lines).toContain("  more: --cursor CURSOR");
    expect(
      lines.some((l) => /kb\.search\s+kb:1\s+success\s+2048B/.test(l)),
    ).toBe(true);
    expect(
      lines.some((l) =>
        /revoke\s+risk 0\.93\s+120 calls\/min vs p99 8/.test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => /revoke\s+delivered\s+d1/.test(l))).toBe(true);
    const empty = renderAgentReport({
      tenant: "acme",
      agentId: "bot-1",
      fromMs: 0,
      toMs: 1,
      baseline: { agent: null, peer: null, tenant: null },
      events: [],
      nextEvents: null,
      decisions: [],
      revocations: [],
    });
    expect(empty.filter((l) => l === "  none")).toHaveLength(3);
    expect(empty.some((l) => l.includes("--cursor"))).toBe(false);
  });
});
