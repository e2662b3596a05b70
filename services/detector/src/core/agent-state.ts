import type { CanonicalEvent } from "@warden/shared";
import { baselineKeysOf, type BaselineKeys } from "./baseline-index.js";
import { rememberBounded } from "./bounded.js";
import { addToRing, advanceRing, type RingLayout } from "./ring.js";
import type { DetectorResult } from "./detectors/types.js";

/** Window sizes shared by every agent's state (from the detector config). */
export interface WindowLayout {
  /** Burst window: BURST_BUCKETS buckets spanning `burstWindowMs`. */
  readonly burst: RingLayout;
  /** Calls, bytes out and denied calls per minute over the last hour. */
  readonly callsPerMinute: RingLayout;
  readonly bytesPerMinute: RingLayout;
  readonly deniedPerMinute: RingLayout;
  /** Delete calls per minute over the last ten minutes (destructive bursts). */
  readonly deletesPerMinute: RingLayout;
  readonly cells: number;
}

export const BURST_BUCKETS = 10;
export const MINUTE_MS = 60_000;
export const MINUTES_PER_HOUR = 60;
/** Minutes of denied and delete calls remembered (denied probing, destructive bursts). */
export const DELETE_MINUTES = 10;
/** Caps of the per-agent bounded collections. */
export const STATE_CAPS = {
  flagged: 32,
  deniedResources: 32,
  sourceIps: 32,
  credentials: 4,
} as const;

export function createWindowLayout(burstWindowMs: number): WindowLayout {
  const burst = {
    offset: 0,
    buckets: BURST_BUCKETS,
    widthMs: Math.max(1, Math.floor(burstWindowMs / BURST_BUCKETS)),
  };
  const perMinute = (
    offset: number,
    buckets = MINUTES_PER_HOUR,
  ): RingLayout => ({
    offset,
    buckets,
    widthMs: MINUTE_MS,
  });
  return {
    burst,
    callsPerMinute: perMinute(BURST_BUCKETS),
    bytesPerMinute: perMinute(BURST_BUCKETS + MINUTES_PER_HOUR),
    // Denied calls and deletes are only judged over ten minutes: ten buckets each.
    deniedPerMinute: perMinute(
      BURST_BUCKETS + 2 * MINUTES_PER_HOUR,
      DELETE_MINUTES,
    ),
    deletesPerMinute: perMinute(
      BURST_BUCKETS + 2 * MINUTES_PER_HOUR + DELETE_MINUTES,
      DELETE_MINUTES,
    ),
    cells: BURST_BUCKETS + 2 * MINUTES_PER_HOUR + 2 * DELETE_MINUTES,
  };
}

/** Incident bookkeeping for cooldown and hysteresis (see incident.ts). */
export interface Incident {
  /** Rank of the strongest action decided in this incident (policy.ts ACTION_RANK). */
  rank: number;
  /** Event time of the last event whose risk kept the incident open. */
  lastHotMs: number;
}

/** The end of a long silence: when the agent woke, since when it was silent, its surprise. */
export interface Wake {
  readonly atMs: number;
  readonly sinceMs: number;
  readonly bits: number;
}

/** What the detector remembers about one agent; mutated in place by observeEvent. */
export interface AgentState {
  readonly tenant: string;
  readonly agentId: string;
  agentKind: string;
  baselineKeys: BaselineKeys;
  /** Newest event time seen (the agent's watermark); 0 before the first. */
  watermarkMs: number;
  /** The watermark before the event being scored: 0 when it is the state's first. */
  priorMs: number;
  /** Dormant identity (detectors/dormancy.ts): the silence it woke from, once it did. */
  woke: Wake | undefined;
  /** The previous call's action (transition novelty), while the agent is in memory. */
  lastAction: string | undefined;
  burstHead: number;
  minuteHead: number;
  readonly cells: Uint32Array;
  /** Values already reported as new (`dimension:value`), so each is reported once. */
  flagged: Map<string, number> | undefined;
  /** Resources of denied calls, with the time of the last denial. */
  deniedResources: Map<string, number> | undefined;
  /** Source IPs outside the baseline, with the time last seen. */
  newSourceIps: Map<string, number> | undefined;
  /** Credential ids recently used, newest last (for the decision). */
  readonly credentials: Map<string, number>;
  incident: Incident | undefined;
  /**
   * Evidence of the open incident per detector (DETECTOR_INDEX), in bits, decayed to
   * `evidenceAtMs`; undefined while there is none (most agents, most of the time).
   */
  evidence: Float32Array | undefined;
  evidenceAtMs: number;
  /** The strongest result of each detector in the evidence, for the decision's reasons. */
  notes: Map<string, DetectorResult> | undefined;
  /** Event time of the last call from a network of the baseline (credential context). */
  usualNetworkMs: number;
  /** Slow drift (detectors/temporal.ts): the open hour, its bytes out, and two moving averages. */
  driftHour: number;
  driftBytes: number;
  driftHours: number;
  driftShort: number;
  driftLong: number;
  /** Its peak evidence today, packed with the day (calibration.ts): the learning period scored. */
  dayPeak: number;
  /** Its credential-users key (engine.ts) and the credential id and type it was built for. */
  usersKey: string;
  usersKeyOf: string | undefined;
  usersKeyType: string | undefined;
}

export function createAgentState(
  layout: WindowLayout,
  event: CanonicalEvent,
): AgentState {
  return {
    tenant: event.tenant,
    agentId: event.agent.id,
    agentKind: event.agent.kind ?? "",
    baselineKeys: baselineKeysOf(
      event.tenant,
      event.agent.id,
      event.agent.kind ?? "",
    ),
    watermarkMs: 0,
    priorMs: 0,
    woke: undefined,
    lastAction: undefined,
    burstHead: Math.floor(event.time_ms / layout.burst.widthMs),
    minuteHead: Math.floor(event.time_ms / MINUTE_MS),
    cells: new Uint32Array(layout.cells),
    flagged: undefined,
    deniedResources: undefined,
    newSourceIps: undefined,
    credentials: new Map(),
    incident: undefined,
    evidence: undefined,
    evidenceAtMs: 0,
    notes: undefined,
    usualNetworkMs: 0,
    driftHour: -1,
    driftBytes: 0,
    driftHours: 0,
    driftShort: 0,
    driftLong: 0,
    dayPeak: -1,
    usersKey: "",
    usersKeyOf: undefined,
    usersKeyType: undefined,
  };
}

/** Adds one event to the agent's windows. */
export function recordEvent(
  layout: WindowLayout,
  state: AgentState,
  event: CanonicalEvent,
): void {
  const t = event.time_ms;
  if (event.agent.kind && event.agent.kind !== state.agentKind) {
    state.agentKind = event.agent.kind;
    state.baselineKeys = baselineKeysOf(
      state.tenant,
      state.agentId,
      state.agentKind,
    );
  }
  state.priorMs = state.watermarkMs;
  state.watermarkMs = Math.max(state.watermarkMs, t);
  const { cells } = state;
  state.burstHead = advanceRing(cells, layout.burst, state.burstHead, t);
  // The three per-minute rings share one head: advance them from the same previous head.
  const previousMinuteHead = state.minuteHead;
  advanceRing(cells, layout.bytesPerMinute, previousMinuteHead, t);
  advanceRing(cells, layout.deniedPerMinute, previousMinuteHead, t);
  advanceRing(cells, layout.deletesPerMinute, previousMinuteHead, t);
  state.minuteHead = advanceRing(
    cells,
    layout.callsPerMinute,
    previousMinuteHead,
    t,
  );
  addToRing(cells, layout.burst, state.burstHead, t, 1);
  addToRing(cells, layout.callsPerMinute, state.minuteHead, t, 1);
  addToRing(
    cells,
    layout.bytesPerMinute,
    state.minuteHead,
    t,
    event.bytes_out ?? 0,
  );
  if (event.outcome === "denied")
    addToRing(cells, layout.deniedPerMinute, state.minuteHead, t, 1);
  else if (event.action.verb === "delete")
    addToRing(cells, layout.deletesPerMinute, state.minuteHead, t, 1);
  rememberBounded(
    state.credentials,
    event.credential.id,
    t,
    STATE_CAPS.credentials,
  );
  recordDrift(state, t, event.bytes_out ?? 0);
}

const HOUR_MS = MINUTES_PER_HOUR * MINUTE_MS;
/** Smoothing of the two moving averages of bytes out per active hour: ~6 h and ~24 h. */
const DRIFT_SHORT_ALPHA = 1 / 6;
const DRIFT_LONG_ALPHA = 1 / 24;

/**
 * Folds finished active hours into the agent's moving averages of bytes out per active hour
 * (the baseline's bytesPerHour is per active hour too, so idle hours are not zeros). A late
 * event from an hour already folded is left out: the averages only move forward.
 */
function recordDrift(state: AgentState, timeMs: number, bytes: number): void {
  const hour = Math.floor(timeMs / HOUR_MS);
  if (hour > state.driftHour) {
    if (state.driftHour >= 0) {
      if (state.driftHours === 0) {
        state.driftShort = state.driftBytes;
        state.driftLong = state.driftBytes;
      } else {
        state.driftShort +=
          DRIFT_SHORT_ALPHA * (state.driftBytes - state.driftShort);
        state.driftLong +=
          DRIFT_LONG_ALPHA * (state.driftBytes - state.driftLong);
      }
      state.driftHours++;
    }
    state.driftHour = hour;
    state.driftBytes = 0;
  }
  if (hour === state.driftHour) state.driftBytes += bytes;
}
