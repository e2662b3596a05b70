import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { Command } from "commander";
import {
  DEFAULT_MAX_EVENT_BYTES,
  REJECTION,
  acceptAuditMessage,
  createCloudTrailMapper,
} from "@warden/ingest";
import { UsageError } from "../api-client.js";
import { listTrailFiles, readTrailFile } from "./cloudtrail-files.js";
import { DEFAULT_REORDER_WINDOW, createReorderBuffer } from "./reorder.js";
import {
  createImportSummary,
  formatImportSummary,
  type ImportSummary,
} from "./summary.js";

interface ImportOptions {
  readonly output: string;
  readonly deadLetters?: string;
  readonly tenant?: string;
  readonly reorderWindow: string;
}

// History has no wall clock: the same checks as `warden replay` (every one but time skew).
const HISTORY = {
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  maxFutureSkewMs: Number.POSITIVE_INFINITY,
  lateAfterMs: Number.POSITIVE_INFINITY,
  nowMs: 0,
} as const;

async function write(
  stream: WriteStream,
  line: string | Buffer,
): Promise<void> {
  if (!stream.write(line)) await once(stream, "drain");
}

/**
 * `warden import cloudtrail <file|dir>…`: whole trails (gzip or not, digests and Insights
 * skipped and counted) → audit events v1 NDJSON in event time, for `warden replay`. Every
 * record is written or dead-lettered with a reason; the summary adds up.
 */
export async function importCloudTrail(
  paths: readonly string[],
  options: ImportOptions,
): Promise<ImportSummary> {
  const window = Number(options.reorderWindow);
  if (!Number.isInteger(window) || window < 2)
    throw new UsageError(
      `--reorder-window must be an integer of at least 2, got ${JSON.stringify(options.reorderWindow)}`,
    );
  const files = await listTrailFiles(paths);
  if (files.length === 0)
    throw new UsageError(
      `no CloudTrail files (.json, .json.gz, .jsonl, .ndjson) under ${paths.join(", ")}`,
    );
  const output = createWriteStream(options.output);
  const deadLetters = createWriteStream(
    options.deadLetters ?? `${options.output}.dead-letters.ndjson`,
  );
  const mapper = createCloudTrailMapper();
  const reorder = createReorderBuffer<Buffer>(window);
  const summary = createImportSummary();
  const deadLetter = (entry: Record<string, unknown>) => {
    summary.deadLettered[String(entry["reason"])] =
      (summary.deadLettered[String(entry["reason"])] ?? 0) + 1;
    return write(deadLetters, `${JSON.stringify(entry)}\n`);
  };
  const emit = async (lines: Buffer[]) => {
    for (const line of lines) await write(output, line);
    summary.events += lines.length;
  };
  for (const file of files) {
    summary.files++;
    try {
      for await (const item of readTrailFile(file)) {
        if (item.kind === "digest") {
          summary.skipped["digest"] = (summary.skipped["digest"] ?? 0) + 1;
          continue;
        }
        summary.records++;
        if (item.kind === "bad_line") {
          await deadLetter({
            file,
            record_index: item.index,
            reason: REJECTION.invalidJson,
            detail: item.detail,
            raw: item.raw,
          });
          continue;
        }
        const outcome = mapper.map(item.record);
        if (outcome.kind === "skipped") {
          summary.skipped[outcome.skip] =
            (summary.skipped[outcome.skip] ?? 0) + 1;
          continue;
        }
        if (outcome.kind === "unmappable") {
          await deadLetter({
            file,
            record_index: item.index,
            reason: REJECTION.unmappableRecord,
            detail: outcome.detail,
            record: item.record,
          });
          continue;
        }
        const event = options.tenant
          ? { ...outcome.event, tenant: options.tenant }
          : outcome.event;
        // Serialised and encoded once: the line written is the bytes the checks measured, and the
        // checks take the event as built (no parse back). The same acceptance checks replay and
        // ingest apply, so what is written replays whole.
        const line = Buffer.from(`${JSON.stringify(event)}\n`, "utf8");
        const accepted = acceptAuditMessage(
          { event, bytes: line.subarray(0, line.length - 1) },
          HISTORY,
        );
        if (!accepted.ok) {
          await deadLetter({
            file,
            record_index: item.index,
            reason: accepted.reason,
            detail: accepted.detail,
            record: item.record,
          });
          continue;
        }
        await emit(reorder.push(accepted.event.time_ms, line));
      }
    } catch (error) {
      summary.unreadableFiles++;
      await deadLetter({
        file,
        reason: "unreadable_file",
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  }
  await emit(reorder.drain());
  summary.outOfOrder = reorder.outOfOrder;
  output.end();
  deadLetters.end();
  await Promise.all([once(output, "finish"), once(deadLetters, "finish")]);
  return summary;
}

export function registerImport(program: Command): void {
  const command = program
    .command("import")
    .description(
      "turn other systems' logs into audit events v1 (NDJSON) for warden replay",
    );
  command
    .command("cloudtrail")
    .description(
      "AWS CloudTrail log files or directories (as delivered to S3; .json or .json.gz, digests and Insights skipped) → audit events in event time",
    )
    .argument(
      "<paths...>",
      "CloudTrail log files or directories (searched recursively)",
    )
    .requiredOption(
      "--output <file>",
      "audit events v1, one per line (feed to warden replay --input)",
    )
    .option(
      "--dead-letters <file>",
      "records that could not be mapped, with the reason (default: <output>.dead-letters.ndjson)",
    )
    .option(
      "--tenant <tenant>",
      "tenant stamped on every event (default: the events' default tenant)",
    )
    .option(
      "--reorder-window <events>",
      "events held to restore event-time order across files and regions",
      String(DEFAULT_REORDER_WINDOW),
    )
    .action(async (paths: string[], options: ImportOptions) => {
      const summary = await importCloudTrail(paths, options);
      process.stdout.write(`${formatImportSummary(summary).join("\n")}\n`);
      if (summary.unreadableFiles > 0) process.exitCode = 1;
    });
}
