import type { AllInOneStats } from "../all-in-one.js";
import { summariseLatency, type DemoSnapshot } from "../live-view/format.js";

/**
 * Counts the demo keeps beside the all-in-one's own: SETs the receiver verified or refused,
 * their latency, calls the stand-in gateway blocked, and when the runaway agent was revoked.
 * "Undelivered" is the transmitter's view: pushes refused or given up.
 */
export interface DemoStats {
  start(nowMs: number): void;
  verified(subject: string, latencyMs: number | undefined, atMs: number): void;
  refused(): void;
  blocked(calls: number): void;
  snapshot(nowMs: number): DemoSnapshot;
  summary(nowMs: number): string[];
}

/** Events per second are measured over this much recent time. */
const RATE_WINDOW_MS = 5_000;
const number = new Intl.NumberFormat("en-US");

export function createDemoStats(options: {
  readonly warden: {
    stats(): AllInOneStats;
    readonly revoker: { revoked(): readonly unknown[] };
  };
  readonly runaway: { readonly agentId: string; readonly startMs: number };
  readonly metricsUrl: string;
}): DemoStats {
  let startedAtMs = 0;
  let verified = 0;
  let refused = 0;
  let blocked = 0;
  let runawayVerifiedAtMs: number | undefined;
  const latencies: number[] = [];
  const samples: { atMs: number; events: number }[] = [];

  const eventsPerSecond = (nowMs: number, events: number): number => {
    samples.push({ atMs: nowMs, events });
    // Keep the newest sample at least a window old as the baseline of the rate.
    while (
      samples.length > 2 &&
      nowMs - (samples[1]?.atMs ?? nowMs) >= RATE_WINDOW_MS
    )
      samples.shift();
    const first = samples[0];
    if (!first || nowMs <= first.atMs) return 0;
    return ((events - first.events) * 1000) / (nowMs - first.atMs);
  };

  return {
    start(nowMs) {
      startedAtMs = nowMs;
    },
    verified(subject, latencyMs, atMs) {
      verified += 1;
      if (latencyMs !== undefined) latencies.push(latencyMs);
      if (
        subject === options.runaway.agentId &&
        runawayVerifiedAtMs === undefined
      )
        runawayVerifiedAtMs = atMs;
    },
    refused() {
      refused += 1;
    },
    blocked(calls) {
      blocked += calls;
    },
    snapshot(nowMs) {
      const stats = options.warden.stats();
      return {
        elapsedMs: nowMs - startedAtMs,
        learningLeftMs: Math.max(0, options.runaway.startMs - nowMs),
        runawayAgent: options.runaway.agentId,
        events: stats.accepted,
        rejected: stats.rejected,
        eventsPerSecond: eventsPerSecond(nowMs, stats.accepted),
        agents: stats.agents,
        decisions: stats.decisions,
        revoked: options.warden.revoker.revoked().length,
        blocked,
        sets: {
          verified,
          refused,
          failed: stats.sets.refused + stats.sets.failed,
        },
        latency: summariseLatency(latencies),
        metricsUrl: options.metricsUrl,
      };
    },
    summary(nowMs) {
      const stats = options.warden.stats();
      const seconds = Math.max(1, (nowMs - startedAtMs) / 1000);
      const latency = summariseLatency(latencies);
      const undelivered = stats.sets.refused + stats.sets.failed;
      const { agentId, startMs } = options.runaway;
      return [
        `summary: ${number.format(stats.accepted)} events accepted from ${number.format(stats.agents)} agents in ${Math.round(seconds)} s ` +
          `(${(stats.accepted / seconds).toFixed(1)}/s); decisions: alert ${stats.decisions.alert}, step-up ${stats.decisions.step_up}, revoke ${stats.decisions.revoke}`,
        runawayVerifiedAtMs === undefined
          ? `summary: runaway agent ${agentId} was not revoked during the run (its loop starts ${Math.round((startMs - startedAtMs) / 1000)} s in)`
          : `summary: runaway agent ${agentId} revoked — its SETs verified by the demo receiver ${((runawayVerifiedAtMs - startMs) / 1000).toFixed(1)} s after the loop began; ${number.format(blocked)} of its calls then blocked by the kill switch`,
        `summary: SETs verified ${verified}, refused ${refused}, undelivered ${undelivered}` +
          (latency
            ? `; delivery latency p50 ${Math.round(latency.p50Ms)} ms, max ${Math.round(latency.maxMs)} ms`
            : ""),
      ];
    },
  };
}
