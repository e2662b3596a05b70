import type { CanonicalEvent } from "@warden/shared";

/**
 * A small seeded traffic generator with known parameters, so a test can check the published
 * baselines against what was generated (medians, vocabularies, active hours, denied rate).
 */

export interface AgentProfile {
  readonly id: string;
  readonly kind: string;
  /** Calls in an active minute: this, or one more or one less, equally likely. */
  readonly callsPerMinute: number;
  /** One minute in this many is active (within the active hours). */
  readonly everyNthMinute: number;
  /** UTC hours of the day the agent works. */
  readonly activeHours: readonly number[];
  /** Actions with relative weights. */
  readonly actions: readonly (readonly [string, number])[];
  readonly resources: readonly string[];
  readonly deniedProbability: number;
  /** Bytes out per call: this, give or take up to 10 %, symmetric. */
  readonly bytesPerCall: number;
}

const MINUTE_MS = 60_000;

/** mulberry32: tiny, seeded, good enough for test traffic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickWeighted(
  random: () => number,
  choices: readonly (readonly [string, number])[],
): string {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [value, weight] of choices) {
    point -= weight;
    if (point < 0) return value;
  }
  return choices[choices.length - 1]?.[0] ?? "";
}

/** Events of `profiles` over the `days` before `endMs`, in time order per agent. */
export function generateTraffic(
  profiles: readonly AgentProfile[],
  options: {
    readonly endMs: number;
    readonly days: number;
    readonly seed: number;
    readonly tenant: string;
  },
): CanonicalEvent[] {
  const random = seededRandom(options.seed);
  const end = Math.floor(options.endMs / MINUTE_MS) * MINUTE_MS;
  const start = end - options.days * 86_400_000;
  const events: CanonicalEvent[] = [];
  for (const profile of profiles) {
    let index = 0;
    for (let minute = start; minute < end; minute += MINUTE_MS) {
      if (!profile.activeHours.includes(new Date(minute).getUTCHours()))
        continue;
      if ((minute / MINUTE_MS) % profile.everyNthMinute !== 0) continue;
      const calls = profile.callsPerMinute + Math.floor(random() * 3) - 1;
      for (let call = 0; call < calls; call += 1) {
        const timeMs = minute + Math.floor((call * MINUTE_MS) / calls);
        const jitter = Math.round(
          profile.bytesPerCall * 0.1 * (random() * 2 - 1),
        );
        const resource =
          profile.resources[Math.floor(random() * profile.resources.length)] ??
          "";
        events.push({
          schema: "agent-event/v1",
          event_id: `${profile.id}-${index}`,
          time: new Date(timeMs).toISOString(),
          time_ms: timeMs,
          received_ms: timeMs,
          late: false,
          tenant: options.tenant,
          agent: { id: profile.id, kind: profile.kind },
          credential: { id: `${profile.id}-key`, type: "api_key" },
          action: { name: pickWeighted(random, profile.actions), verb: "read" },
          resource: { id: resource, sensitivity: "internal" },
          outcome: random() < profile.deniedProbability ? "denied" : "success",
          bytes_out: profile.bytesPerCall + jitter,
          delegation: [profile.id],
          chain_depth: 1,
          chain_root: profile.id,
          attributes: {},
        });
        index += 1;
      }
    }
  }
  return events;
}
