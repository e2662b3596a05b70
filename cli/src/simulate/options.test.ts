import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { ATTACK_KINDS } from "@warden/simulator";
import {
  DEFAULT_DAYS,
  defaultLabelsPath,
  parseDuration,
  parseFraction,
  parsePositive,
  parseWholeNumber,
  resolveSimulateOptions,
  type RawSimulateOptions,
} from "./options.js";

const NOW = Date.parse("2026-11-23T11:30:00Z");
const DAY_MS = 86_400_000;

function raw(overrides: Partial<RawSimulateOptions> = {}): RawSimulateOptions {
  return {
    seed: 1,
    agents: 10,
    attacks: "all",
    traps: "all",
    learning: 0.3,
    kafka: false,
    batch: 500,
    json: false,
    out: "traffic.ndjson",
    ...overrides,
  };
}

describe("resolveSimulateOptions", () => {
  it("ends a file run at today's midnight UTC by default, with labels beside the output", () => {
    const settings = resolveSimulateOptions(raw(), NOW);
    expect(settings.durationMs).toBe(DEFAULT_DAYS * DAY_MS);
    expect(settings.startMs + settings.durationMs).toBe(
      Date.parse("2026-11-23T00:00:00Z"),
    );
    expect(settings.live).toBe(false);
    expect(settings.labelsPath).toBe("traffic.labels.ndjson");
    // Every attack kind by default.
    expect(settings.attacks).toHaveLength(ATTACK_KINDS.length);
  });

  it("starts a live run now and turns the rate into a volume", () => {
    const settings = resolveSimulateOptions(
      raw({ rate: 50, duration: 600_000, kafka: true, out: undefined }),
      NOW,
    );
    expect(settings).toMatchObject({
      live: true,
      startMs: NOW,
      targetEvents: 30_000,
      output: { kind: "kafka" },
    });
    expect(settings.labelsPath).toBeUndefined();
  });

  it("takes an explicit start", () => {
    expect(
      resolveSimulateOptions(raw({ start: "2026-11-02" }), NOW).startMs,
    ).toBe(Date.parse("2026-11-02T00:00:00Z"));
  });

  it.each<[string, Partial<RawSimulateOptions>, RegExp]>([
    ["no output", { out: undefined }, /exactly one output/],
    ["two outputs", { kafka: true }, /exactly one output/],
    ["days and duration", { days: 1, duration: 1000 }, /--days and --duration/],
    ["two volumes", { events: 10, rate: 5 }, /each set the volume/],
    ["json on stdout twice", { out: "-", json: true }, /--json/],
    ["a bad start", { start: "yesterday" }, /--start/],
    ["a bad URL", { out: undefined, http: "ftp://x" }, /--http/],
    [
      "an unknown attack",
      { attacks: "sql_injection" },
      /--attacks: unknown kind/,
    ],
  ])("refuses %s", (_case, overrides, message) => {
    expect(() => resolveSimulateOptions(raw(overrides), NOW)).toThrow(message);
    expect(() => resolveSimulateOptions(raw(overrides), NOW)).toThrow(
      InvalidArgumentError,
    );
  });
});

describe("option parsers", () => {
  it("reads durations and refuses the rest", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(() => parseDuration("10")).toThrow(/duration/);
    expect(() => parseDuration("0s")).toThrow(/duration/);
  });

  it("bounds whole numbers and fractions", () => {
    expect(parseWholeNumber(1, 10)("7")).toBe(7);
    expect(() => parseWholeNumber(1, 10)("11")).toThrow(/1-10/);
    expect(() => parseWholeNumber(1, 10)("2.5")).toThrow(/1-10/);
    expect(() => parseFraction("1")).toThrow(/up to/);
    expect(() => parsePositive("-1")).toThrow(/above 0/);
  });

  it("names the labels file after the output", () => {
    expect(defaultLabelsPath("out/traffic.ndjson.gz")).toBe(
      "out/traffic.labels.ndjson",
    );
    expect(defaultLabelsPath("traffic.gz")).toBe("traffic.labels.ndjson");
    expect(defaultLabelsPath("traffic")).toBe("traffic.labels.ndjson");
    expect(defaultLabelsPath("-")).toBeUndefined();
  });
});
