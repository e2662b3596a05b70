import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateAuditEvent } from "@warden/shared";

// bench/crossgen, the independent generator the detector's evaluation also runs on: its output
// is contract-valid, its labels say what landed, and a seed is a dataset.
const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "warden-crossgen-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = promisify(execFile);

/** Generates seed 5 into `out` (a child process: the worker stays responsive meanwhile). */
async function generate(out: string): Promise<void> {
  const { stderr } = await run(process.execPath, [
    join(root, "bench/crossgen/generate.mjs"),
    ...["--out", out, "--seed", "5"],
  ]);
  expect(stderr).toBe("");
}

interface Label {
  readonly class: string;
  readonly kind: string;
  readonly event_count: number;
  readonly first_event_time: string | null;
  readonly event_ids: readonly string[];
}

interface Summary {
  readonly start: string;
  readonly end: string;
  readonly events: number;
}

describe("bench/crossgen", () => {
  const first = join(dir, "a");
  let events: { event_id: string; time: string }[] = [];
  let labels: Label[] = [];
  let summary: Summary = { start: "", end: "", events: 0 };
  const second = join(dir, "b");
  // Two runs of one seed side by side: the second is only compared byte for byte.
  beforeAll(async () => {
    await Promise.all([generate(first), generate(second)]);
    events = gunzipSync(readFileSync(join(first, "traffic.ndjson.gz")))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event_id: string; time: string });
    labels = readFileSync(join(first, "traffic.labels.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Label);
    summary = JSON.parse(
      readFileSync(join(first, "simulation.json"), "utf8"),
    ) as Summary;
    // ~15 s of CPU per run; a loaded 2-core machine takes minutes. This only guards a hang.
  }, 600_000);

  it("writes contract-valid events with unique ids, in time order", () => {
    expect(events.length).toBe(summary.events);
    const invalid = events.filter((e) => !validateAuditEvent(e).ok);
    expect(invalid.slice(0, 3)).toEqual([]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    const times = events.map((e) => Date.parse(e.time));
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(
      true,
    );
  });

  it("labels every attack twice, after the learning period, with the events that landed", () => {
    const attacks = labels.filter((l) => l.class === "attack");
    const byKind = new Map<string, number>();
    for (const l of attacks) byKind.set(l.kind, (byKind.get(l.kind) ?? 0) + 1);
    expect(byKind.size).toBe(12);
    expect([...byKind.values()].every((n) => n === 2)).toBe(true);
    const startMs = Date.parse(summary.start);
    const learningEndMs = startMs + 0.3 * (Date.parse(summary.end) - startMs);
    const ids = new Set(events.map((e) => e.event_id));
    for (const l of attacks) {
      expect(l.event_count, l.kind).toBeGreaterThan(0);
      expect(Date.parse(l.first_event_time ?? "")).toBeGreaterThan(
        learningEndMs,
      );
      expect(l.event_ids.every((id) => ids.has(id))).toBe(true);
    }
    const benign = new Set(
      labels.filter((l) => l.class === "benign").map((l) => l.kind),
    );
    expect(benign.size).toBeGreaterThanOrEqual(6);
  });

  it("is deterministic: the same seed writes the same bytes", () => {
    const hash = (file: string) =>
      createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(hash(join(second, "traffic.ndjson.gz"))).toBe(
      hash(join(first, "traffic.ndjson.gz")),
    );
    expect(hash(join(second, "traffic.labels.ndjson"))).toBe(
      hash(join(first, "traffic.labels.ndjson")),
    );
  });
});
