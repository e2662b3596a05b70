/**
 * A circuit breaker per receiver, as a pure state machine: after `failureThreshold`
 * consecutive failures it opens for `openMs` (nothing is sent), then lets one trial through
 * (half-open); a success closes it, a failure opens it again.
 */
export const CircuitState = { closed: 0, halfOpen: 1, open: 2 } as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export interface Breaker {
  readonly state: CircuitState;
  readonly failures: number;
  readonly openedAtMs: number;
}

export interface BreakerPolicy {
  readonly failureThreshold: number;
  readonly openMs: number;
}

export const CLOSED: Breaker = {
  state: CircuitState.closed,
  failures: 0,
  openedAtMs: 0,
};

/** The breaker as of `nowMs`: an open breaker whose time is up becomes half-open. */
export function breakerAt(
  breaker: Breaker,
  nowMs: number,
  policy: BreakerPolicy,
): Breaker {
  return breaker.state === CircuitState.open &&
    nowMs - breaker.openedAtMs >= policy.openMs
    ? { ...breaker, state: CircuitState.halfOpen }
    : breaker;
}

export function breakerSucceeded(): Breaker {
  return CLOSED;
}

export function breakerFailed(
  breaker: Breaker,
  nowMs: number,
  policy: BreakerPolicy,
): Breaker {
  const failures = breaker.failures + 1;
  return breaker.state === CircuitState.halfOpen ||
    failures >= policy.failureThreshold
    ? { state: CircuitState.open, failures, openedAtMs: nowMs }
    : { ...breaker, failures };
}
