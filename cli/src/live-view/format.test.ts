import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatDashboard,
  formatDecisionLine,
  formatPlainLine,
  formatSetLine,
  summariseLatency,
  type DemoSnapshot,
} from "./format.js";
import { shortEventName } from "../ssf/event-types.js";

const snapshot: DemoSnapshot = {
  elapsedMs: 83_400,
  learningLeftMs: 0,
  runawayAgent: "agent:support-bot/84",
  events: 12_345,
  rejected: 7,
  eventsPerSecond: 21.26,
  agents: 57,
  decisions: { alert: 2, step_up: 1, revoke: 1 },
  revoked: 1,
  blocked: 389,
  sets: { verified: 3, refused: 0, failed: 0 },
  latency: { p50Ms: 11.6, maxMs: 40.2 },
  metricsUrl: "http://127.0.0.1:8080/metrics",
};

describe("the live view's text", () => {
  it("draws every figure of the snapshot in the terminal block", () => {
    expect(formatDashboard(snapshot)).toEqual([
      "Warden demo 01:23  agent:support-bot/84 is in a runaway loop",
      "  events       12,345 accepted (21.3/s), 7 rejected",
      "  agents       57",
      "  decisions    alert 2 · step-up 1 · revoke 1",
      "  revocations  1 agent under the kill switch, 389 calls blocked",
      "  SETs         3 verified by the demo receiver, 0 refused, 0 undelivered · delivery p50 12 ms, max 40 ms",
      "  metrics      http://127.0.0.1:8080/metrics   (Ctrl-C stops)",
    ]);
  });

  it("counts down the learning phase and says when no SET arrived yet", () => {
    const lines = formatDashboard({
      ...snapshot,
      elapsedMs: 4_000,
      learningLeftMs: 25_100,
      revoked: 2,
      latency: undefined,
    });
    expect(lines[0]).toBe(
      "Warden demo 00:04  learning what is normal — 26 s until agent:support-bot/84 starts looping",
    );
    expect(lines[4]).toContain("2 agents under the kill switch");
    expect(lines[5]).toContain("delivery latency: no SET yet");
  });

  it("prints one greppable line when not on a terminal", () => {
    expect(formatPlainLine(snapshot)).toBe(
      "[01:23] events=12345 rate=21.3/s agents=57 decisions: alert=2 step_up=1 revoke=1 revoked=1 blocked=389 " +
        "sets_verified=3 sets_refused=0 latency_p50_ms=12 latency_max_ms=40",
    );
    expect(formatPlainLine({ ...snapshot, latency: undefined })).not.toContain(
      "latency",
    );
  });

  it("names a verified SET by event, subject, jti and latency, and a refused one by its err", () => {
    expect(
      formatSetLine({
        verified: true,
        what: shortEventName(
          "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
        ),
        subject: "agent:support-bot/84",
        jti: "7501d22f",
        latencyMs: 143.4,
      }),
    ).toBe(
      "SET verified  session-revoked  subject agent:support-bot/84  jti 7501d22f  latency 143 ms",
    );
    expect(
      formatSetLine({
        verified: false,
        what: "invalid_key: bad signature",
        subject: "",
        jti: "",
        latencyMs: undefined,
      }),
    ).toBe("SET REFUSED   invalid_key: bad signature  jti ");
  });

  it("summarises latency as the median and the maximum of the samples", () => {
    expect(summariseLatency([])).toBeUndefined();
    expect(summariseLatency([30, 10, 20])).toEqual({ p50Ms: 20, maxMs: 30 });
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), {
          minLength: 1,
        }),
        (samples) => {
          const summary = summariseLatency(samples);
          const below = samples.filter(
            (s) => s <= (summary?.p50Ms ?? 0),
          ).length;
          expect(summary?.maxMs).toBe(Math.max(...samples));
          expect(below * 2).toBeGreaterThanOrEqual(samples.length);
          expect(samples).toContain(summary?.p50Ms);
        },
      ),
    );
  });

  it("prints a decision with every detector's sentence, escaping what could drive the terminal", () => {
    expect(
      formatDecisionLine({
        schema: "agent-decision/v1",
        decision_id: "d-1",
        tenant: "acme",
        agent_id: "agent:x\u001b[2J",
        action: "revoke",
        risk: 0.971,
        at: "2026-12-03T15:00:00.000Z",
        credential_ids: [],
        reasons: [
          { detector: "burst", score: 1, summary: "101 calls in 10 s" },
          { detector: "volume_exfil", score: 0.5, summary: "4 GiB out" },
        ],
      } as unknown as Parameters<typeof formatDecisionLine>[0]),
    ).toBe(
      "decision revoke  agent:x\\u{1b}[2J (tenant acme)  risk 0.97  burst: 101 calls in 10 s; volume_exfil: 4 GiB out",
    );
  });
});
