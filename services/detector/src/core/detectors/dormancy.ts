import type { BaselineModel, IdleGaps } from "@warden/shared";
import { tailBits } from "../evidence.js";
import { formatCount, type Detector, type DetectorInput } from "./types.js";

const HOUR_MS = 3_600_000;
/** A silence shorter than a day is a night or a quiet shift, never dormancy. */
const MIN_SILENCE_HOURS = 24;
/** Idle stretches measured over less than a week have never held a weekend. */
const MIN_HISTORY_MS = 7 * 24 * HOUR_MS;
/** After waking, the agent's sensitive calls this long carry the silence's evidence. */
const WAKE_WINDOW_MS = HOUR_MS;
/** Stakes of a long-silent identity reaching sensitive data or control (risk.ts). */
export const DORMANT_SENSITIVE_IMPACT = 3;
const SENSITIVE_VERBS: ReadonlySet<string> = new Set([
  "export",
  "delete",
  "admin",
  "delegate",
]);

function sensitive(input: DetectorInput): boolean {
  const { event } = input;
  const sensitivity = event.resource?.sensitivity;
  return (
    sensitivity === "restricted" ||
    sensitivity === "confidential" ||
    SENSITIVE_VERBS.has(event.action.verb)
  );
}

interface Silence {
  readonly hours: number;
  readonly sinceMs: number;
  readonly bits: number;
  readonly own: IdleGaps | undefined;
  readonly peer: IdleGaps | undefined;
}

/**
 * The silence this event ends, when it is at least a day: since the agent's previous call in
 * the detector's memory or, once that was evicted, the newest call of its own baseline. Its
 * surprise is the tail of the agent's own idle stretches and of its peer group's, the lower of
 * the two (a kind whose agents all pause for days makes a long pause unremarkable).
 */
function silenceEnded(input: DetectorInput): Silence | undefined {
  const { event, state, baselines } = input;
  const t = event.time_ms;
  // The common case, a call shortly after the last one in memory: no baseline to look up.
  if (state.priorMs > 0 && t - state.priorMs < MIN_SILENCE_HOURS * HOUR_MS)
    return undefined;
  const own = baselines.get(state.baselineKeys.agent);
  const lastSeen = own?.history.lastSeenMs ?? 0;
  const sinceMs = Math.max(state.priorMs, lastSeen < t ? lastSeen : 0);
  // Nothing before this call: a new identity, not a dormant one.
  if (!(sinceMs > 0)) return undefined;
  const hours = (t - sinceMs) / HOUR_MS;
  if (hours < MIN_SILENCE_HOURS) return undefined;
  const peerModel = baselines.get(state.baselineKeys.peer);
  // A history says how rare a silence is only when trusted and long enough to have held it:
  // the agent's own twice over, its peers' (many agents pooled) once, and either at least a
  // week (a shorter one has never held a weekend); else it says nothing, and a history too
  // short for its own judgement leaves it to the peers'.
  const silenceMs = t - sinceMs;
  const spans = (model: BaselineModel | undefined, times: number): boolean =>
    model?.trusted === true &&
    model.history.lastSeenMs - model.history.firstSeenMs >=
      Math.max(times * silenceMs, MIN_HISTORY_MS);
  const ownGaps = spans(own, 2) ? own?.idleGaps : undefined;
  const peerGaps = spans(peerModel, 1) ? peerModel?.idleGaps : undefined;
  let bits = Infinity;
  for (const gaps of [ownGaps, peerGaps])
    if (gaps)
      bits = Math.min(
        bits,
        tailBits(hours, gaps.stats, gaps.count, MIN_SILENCE_HOURS),
      );
  if (!Number.isFinite(bits) || bits < 1) return undefined;
  return { hours, sinceMs, bits, own: ownGaps, peer: peerGaps };
}

function expectation(silence: Silence): string {
  const parts: string[] = [];
  if (silence.own)
    parts.push(
      silence.own.count > 0
        ? `its own longest idle stretch is ${formatCount(silence.own.stats.max)} h (p99 ${formatCount(silence.own.stats.p99)} h, ${formatCount(silence.own.count)} stretches)`
        : "it was never idle for an hour in its history",
    );
  if (silence.peer)
    parts.push(
      `its peer group's p99 is ${formatCount(silence.peer.stats.p99)} h`,
    );
  return parts.join("; ");
}

/**
 * Dormant identity suddenly active: the first call after a silence far longer than the agent's
 * own idle stretches and its peers'. The silence is reported on the waking call and, for an
 * hour after, on every call that touches restricted or confidential data or exports, deletes,
 * administers or delegates, with the stakes of such a call (a takeover of an unused identity
 * goes straight for what it was after). Calls in between say nothing new.
 */
export const dormantIdentityDetector: Detector = (input) => {
  const { event, state } = input;
  const t = event.time_ms;
  const silence = silenceEnded(input);
  if (silence) {
    state.woke = { atMs: t, sinceMs: silence.sinceMs, bits: silence.bits };
    const stakes = sensitive(input);
    return {
      detector: "dormant_identity",
      bits: silence.bits,
      ...(stakes ? { impact: DORMANT_SENSITIVE_IMPACT } : {}),
      techniques: ["T1078"],
      summary: `first call (${event.action.name}) after ${formatCount(silence.hours)} h of silence since ${new Date(silence.sinceMs).toISOString()}; ${expectation(silence)}`,
      observed: Math.round(silence.hours * 10) / 10,
      expected: silence.own?.stats.max ?? silence.peer?.stats.p99 ?? 0,
    };
  }
  const woke = state.woke;
  if (!woke) return undefined;
  if (t - woke.atMs > WAKE_WINDOW_MS) {
    state.woke = undefined;
    return undefined;
  }
  if (!sensitive(input)) return undefined;
  const hours = (woke.atMs - woke.sinceMs) / HOUR_MS;
  return {
    detector: "dormant_identity",
    bits: woke.bits,
    impact: DORMANT_SENSITIVE_IMPACT,
    techniques: ["T1078"],
    summary: `${event.action.name} (${event.action.verb}, ${event.resource?.sensitivity ?? "unlabelled"}) ${formatCount((t - woke.atMs) / 60_000)} min after this identity woke from ${formatCount(hours)} h of silence since ${new Date(woke.sinceMs).toISOString()}, far beyond its history's idle stretches`,
    observed: Math.round(hours * 10) / 10,
    expected: `under ${MIN_SILENCE_HOURS} h`,
  };
};
