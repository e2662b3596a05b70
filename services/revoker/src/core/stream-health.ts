/**
 * When the transmitter pauses a stream by itself, as pure decisions: after sustained push
 * failure (Warden's choice, issue 6) and after the receiver's inactivity (SSF 1.0 §8.1.1,
 * `inactivity_timeout`). Pausing, not disabling: a paused stream keeps its SETs queued
 * (REVOKER_QUEUE_MAX_AGE) until someone sets it `enabled` again.
 */

/** Consecutive retriable push failures of one stream, since the last success. */
export interface FailureClock {
  /** When the current run of failures began; undefined after a success. */
  readonly failingSinceMs: number | undefined;
  readonly failures: number;
}

export const HEALTHY: FailureClock = {
  failingSinceMs: undefined,
  failures: 0,
};

export function recordDelivery(
  clock: FailureClock,
  ok: boolean,
  nowMs: number,
): FailureClock {
  if (ok) return HEALTHY;
  return {
    failingSinceMs: clock.failingSinceMs ?? nowMs,
    failures: clock.failures + 1,
  };
}

/**
 * The reason to pause when pushes have failed for at least `afterMs` with no success in
 * between (and more than once: one slow failure is not "sustained"); `afterMs` 0 never pauses.
 */
export function autoPauseReason(
  clock: FailureClock,
  nowMs: number,
  afterMs: number,
): string | undefined {
  if (afterMs <= 0 || clock.failingSinceMs === undefined || clock.failures < 2)
    return undefined;
  const failingMs = nowMs - clock.failingSinceMs;
  if (failingMs < afterMs) return undefined;
  return `paused by the transmitter: ${clock.failures} failed pushes and none delivered for ${Math.round(failingMs / 1000)} s`;
}

/** The moment a stream's inactivity counts from: its last receiver activity, never before `sinceMs` (the revoker's start). */
export function lastActivityMs(
  record: {
    readonly last_activity_at?: string;
    readonly created_at: string;
  },
  sinceMs: number,
): number {
  const at = Date.parse(record.last_activity_at ?? record.created_at);
  return Math.max(Number.isNaN(at) ? sinceMs : at, sinceMs);
}

/** The reason to pause an enabled stream whose receiver has been inactive for `timeoutMs`; 0 never. */
export function inactivityReason(
  lastMs: number,
  nowMs: number,
  timeoutMs: number,
): string | undefined {
  if (timeoutMs <= 0 || nowMs - lastMs < timeoutMs) return undefined;
  return `paused by the transmitter: no receiver activity for ${Math.round((nowMs - lastMs) / 1000)} s (inactivity_timeout ${Math.round(timeoutMs / 1000)} s)`;
}

/**
 * Whether an activity should be written down now. Refreshing on every call would write the
 * stream's KV entry on every poll; a tenth of the timeout is precise enough to honour it.
 */
export function activityWriteDue(
  lastMs: number | undefined,
  nowMs: number,
  timeoutMs: number,
): boolean {
  if (timeoutMs <= 0) return false;
  return lastMs === undefined || nowMs - lastMs >= timeoutMs / 10;
}

/**
 * How long a queued SET has waited *for delivery*: time spent in a paused stream does not
 * count, so re-enabling a stream paused for days does not dead-letter its SETs at once.
 */
export function deliveryAgeMs(
  queuedAtMs: number,
  statusChangedAt: string | undefined,
  nowMs: number,
): number {
  const changed =
    statusChangedAt === undefined ? Number.NaN : Date.parse(statusChangedAt);
  return nowMs - Math.max(queuedAtMs, Number.isNaN(changed) ? 0 : changed);
}
