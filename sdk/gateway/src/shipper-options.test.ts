import { describe, expect, it } from "vitest";
import { GatewayConfigError } from "./errors.js";
import {
  compileShipperLimits,
  DEFAULT_MAX_QUEUE_EVENTS,
} from "./shipper-options.js";

describe("compileShipperLimits", () => {
  it("fills every default and freezes the result", () => {
    const limits = compileShipperLimits({});
    expect(limits.maxQueueEvents).toBe(DEFAULT_MAX_QUEUE_EVENTS);
    expect(Object.values(limits).every((value) => Number.isFinite(value))).toBe(
      true,
    );
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it("names every impossible or contradictory limit at once", () => {
    try {
      compileShipperLimits({
        maxQueueEvents: 10,
        maxBatchEvents: 20,
        lingerMs: -1,
        sendTimeoutMs: 0,
        spoolMaxBytes: 1_000,
        spoolSegmentBytes: 2_000,
        retryInitialMs: 5_000,
        retryMaxDelayMs: 1_000,
      });
      expect.fail("should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayConfigError);
      expect(
        (error as GatewayConfigError).problems.map((p) => p.option).sort(),
      ).toEqual(
        [
          "lingerMs",
          "maxBatchEvents",
          "retryInitialMs",
          "sendTimeoutMs",
          "spoolSegmentBytes",
        ].sort(),
      );
    }
  });
});
