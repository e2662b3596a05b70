import { describe, expect, it } from "vitest";
import { forCluster, MIGRATIONS } from "./migrations.js";

const every = MIGRATIONS.flatMap((migration) => migration.statements("w"));

describe("the schema on a ClickHouse cluster", () => {
  it("leaves every statement as released without a cluster", () => {
    for (const statement of every)
      expect(forCluster(statement, undefined)).toBe(statement);
  });

  it("runs every statement on the cluster, with replicated engines only", () => {
    for (const statement of every) {
      const clustered = forCluster(statement, "replicas");
      expect(clustered).toMatch(
        /^\s*(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) w\.\w+ ON CLUSTER replicas\b/,
      );
      expect(clustered).not.toMatch(/ENGINE = (?!Replicated)\w*MergeTree/);
    }
  });

  it("keeps each engine's kind and arguments", () => {
    const baselines = every.find((s) => s.includes("w.baselines ("))!;
    expect(forCluster(baselines, "c")).toContain(
      "ENGINE = ReplicatedReplacingMergeTree(computed_at)",
    );
    const rollup = every.find((s) => s.includes("w.events_per_hour ("))!;
    expect(forCluster(rollup, "c")).toContain(
      "ENGINE = ReplicatedAggregatingMergeTree",
    );
    const events = every.find((s) => s.includes("w.events ("))!;
    expect(forCluster(events, "c")).toMatch(
      /ENGINE = ReplicatedReplacingMergeTree\nPARTITION BY/,
    );
  });

  it("refuses a statement it has no cluster form for", () => {
    expect(() => forCluster("INSERT INTO w.events VALUES", "c")).toThrow(
      /no cluster form/,
    );
  });
});
