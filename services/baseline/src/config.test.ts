import { describe, expect, it } from "vitest";
import { ConfigError } from "@warden/shared";
import {
  DEFAULT_BASELINE_WINDOW_MS,
  DEFAULT_SINK_MAX_BATCH_ROWS,
  loadBaselineConfig,
} from "./config.js";

describe("loadBaselineConfig", () => {
  it("applies the defaults", () => {
    const config = loadBaselineConfig({});
    expect(config.common.opsPort).toBe(9102);
    expect(config.sink).toEqual({
      maxBatchRows: DEFAULT_SINK_MAX_BATCH_ROWS,
      flushDelayMs: 200,
    });
    expect(config.retentionDays).toBe(30);
    expect(config.model).toMatchObject({
      windowMs: DEFAULT_BASELINE_WINDOW_MS,
      refreshMs: 300_000,
      minHistorySpanMs: 86_400_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads durations and counts", () => {
    const config = loadBaselineConfig({
      BASELINE_WINDOW: "7d",
      BASELINE_REFRESH_INTERVAL: "30s",
      BASELINE_VOCABULARY_TOP: "8",
    });
    expect(config.model.windowMs).toBe(7 * 86_400_000);
    expect(config.model.refreshMs).toBe(30_000);
    expect(config.model.vocabularyTop).toBe(8);
  });

  it("names every bad variable in one error", () => {
    try {
      loadBaselineConfig({
        BASELINE_SINK_MAX_BATCH_ROWS: "0",
        BASELINE_WINDOW: "soon",
        NATS_URL: "",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const variables = (error as ConfigError).problems.map((p) => p.variable);
      expect(variables).toEqual(
        expect.arrayContaining([
          "BASELINE_SINK_MAX_BATCH_ROWS",
          "BASELINE_WINDOW",
        ]),
      );
    }
  });
});
