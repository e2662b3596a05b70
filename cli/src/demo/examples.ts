import { readFile } from "node:fs/promises";
import type { LineResult } from "@warden/ingest";

/**
 * The demo's first step: the audit-event contract's own examples, good and bad, through the
 * ingest checks, so the first screen shows what Warden accepts and why it refuses the rest.
 */
const EXAMPLES = [
  ["contract examples", "audit-events.ndjson"],
  ["bad examples", "bad-events.ndjson"],
] as const;

export async function sendContractExamples(
  ingest: (messages: readonly Buffer[]) => Promise<LineResult[]>,
  print: (line: string) => void,
): Promise<void> {
  for (const [label, file] of EXAMPLES) {
    const text = await readFile(
      new URL(`../../../shared/contracts/examples/${file}`, import.meta.url),
      "utf8",
    );
    const lines = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => Buffer.from(line));
    const results = await ingest(lines);
    const rejected = results.flatMap((result) =>
      result.status === "rejected" ? [result] : [],
    );
    print(
      `${label}: ${results.length - rejected.length} accepted, ${rejected.length} rejected`,
    );
    for (const result of rejected)
      print(`  rejected ${result.reason}: ${result.detail}`);
  }
}
