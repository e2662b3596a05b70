import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HEALTHY,
  activityWriteDue,
  autoPauseReason,
  deliveryAgeMs,
  inactivityReason,
  lastActivityMs,
  recordDelivery,
} from "./stream-health.js";

const minute = 60_000;

describe("auto-pause after sustained push failure", () => {
  it("pauses once failures have lasted the threshold, with no success between", () => {
    let clock = recordDelivery(HEALTHY, false, 0);
    expect(autoPauseReason(clock, 60 * minute, 60 * minute)).toBeUndefined();
    clock = recordDelivery(clock, false, 30 * minute);
    expect(autoPauseReason(clock, 59 * minute, 60 * minute)).toBeUndefined();
    expect(autoPauseReason(clock, 60 * minute, 60 * minute)).toBe(
      "paused by the transmitter: 2 failed pushes and none delivered for 3600 s",
    );
  });

  it("a success resets the clock; 0 turns the feature off", () => {
    const failing = recordDelivery(
      recordDelivery(HEALTHY, false, 0),
      false,
      minute,
    );
    expect(recordDelivery(failing, true, 2 * minute)).toEqual(HEALTHY);
    expect(autoPauseReason(failing, 1e12, 0)).toBeUndefined();
  });

  it("never pauses a stream whose last delivery succeeded, whatever came before", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.integer({ min: 1, max: 10 * minute }),
        (outcomes, afterMs) => {
          let clock = HEALTHY;
          outcomes.forEach((ok, index) => {
            clock = recordDelivery(clock, ok, index * minute);
          });
          const pause = autoPauseReason(clock, 1e9, afterMs);
          if (outcomes.at(-1)) expect(pause).toBeUndefined();
          const trailingFailures =
            outcomes.length - 1 - outcomes.lastIndexOf(true);
          expect(clock.failures).toBe(trailingFailures);
          if (trailingFailures >= 2) expect(pause).toBeDefined();
        },
      ),
    );
  });
});

describe("inactivity_timeout", () => {
  const record = {
    created_at: "2026-11-01T00:00:00.000Z",
    last_activity_at: "2026-11-02T00:00:00.000Z",
  };
  const start = Date.parse("2026-11-01T12:00:00.000Z");

  it("counts from the last activity, never from before the revoker started", () => {
    expect(lastActivityMs(record, start)).toBe(
      Date.parse(record.last_activity_at),
    );
    expect(lastActivityMs({ created_at: record.created_at }, start)).toBe(
      start,
    );
  });

  it("pauses after the timeout only; 0 means no timeout", () => {
    expect(inactivityReason(0, 9_999, 10_000)).toBeUndefined();
    expect(inactivityReason(0, 10_000, 10_000)).toBe(
      "paused by the transmitter: no receiver activity for 10 s (inactivity_timeout 10 s)",
    );
    expect(inactivityReason(0, 1e12, 0)).toBeUndefined();
  });

  it("writes activity at most every tenth of the timeout", () => {
    expect(activityWriteDue(undefined, 0, 10_000)).toBe(true);
    expect(activityWriteDue(0, 999, 10_000)).toBe(false);
    expect(activityWriteDue(0, 1_000, 10_000)).toBe(true);
    expect(activityWriteDue(undefined, 0, 0)).toBe(false);
  });

  it("a stream written down when due is never seen inactive while the receiver keeps calling", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1 }),
        (timeoutMs, gapsPerMille) => {
          let now = 0;
          let written: number | undefined;
          for (const gap of gapsPerMille) {
            // Calls closer together than the timeout keep the stream alive.
            now += Math.floor((gap / 1000) * timeoutMs * 0.89);
            // What the watch sees just before this call is written down.
            expect(
              inactivityReason(written ?? 0, now, timeoutMs),
            ).toBeUndefined();
            if (activityWriteDue(written, now, timeoutMs)) written = now;
          }
        },
      ),
    );
  });
});

describe("deliveryAgeMs", () => {
  it("does not count time the stream spent paused", () => {
    const enabledAt = "2026-11-03T00:00:00.000Z";
    const queued = Date.parse("2026-11-01T00:00:00.000Z");
    expect(deliveryAgeMs(queued, enabledAt, Date.parse(enabledAt) + 5)).toBe(5);
    expect(deliveryAgeMs(queued, undefined, queued + 7)).toBe(7);
    expect(
      deliveryAgeMs(
        Date.parse(enabledAt) + 10,
        enabledAt,
        Date.parse(enabledAt) + 15,
      ),
    ).toBe(5);
  });
});
