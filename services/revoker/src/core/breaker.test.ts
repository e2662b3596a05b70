import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CLOSED,
  CircuitState,
  breakerAt,
  breakerFailed,
  breakerSucceeded,
} from "./breaker.js";

const policy = { failureThreshold: 3, openMs: 1000 };

describe("circuit breaker", () => {
  it("opens after the threshold, half-opens after openMs, reopens on a failed trial", () => {
    let breaker = breakerFailed(breakerFailed(CLOSED, 0, policy), 0, policy);
    expect(breaker.state).toBe(CircuitState.closed);
    breaker = breakerFailed(breaker, 10, policy);
    expect(breaker.state).toBe(CircuitState.open);
    expect(breakerAt(breaker, 1009, policy).state).toBe(CircuitState.open);
    const trial = breakerAt(breaker, 1010, policy);
    expect(trial.state).toBe(CircuitState.halfOpen);
    expect(breakerFailed(trial, 1011, policy)).toMatchObject({
      state: CircuitState.open,
      openedAtMs: 1011,
    });
    expect(breakerSucceeded()).toEqual(CLOSED);
  });

  it("never opens before failureThreshold consecutive failures", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 50 }), (outcomes) => {
        let breaker = CLOSED;
        let run = 0;
        for (const ok of outcomes) {
          breaker = ok ? breakerSucceeded() : breakerFailed(breaker, 0, policy);
          run = ok ? 0 : run + 1;
          expect(breaker.state === CircuitState.open).toBe(
            run >= policy.failureThreshold,
          );
        }
      }),
    );
  });
});
