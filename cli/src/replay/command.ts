import {
  createReadStream,
  createWriteStream,
  readFileSync,
  statSync,
} from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import {
  createScoringEngine,
  DEFAULT_DETECTOR_LIMITS,
  DEFAULT_POLICY,
  parsePolicy,
} from "@warden/detector";
import {
  createReplaySummary,
  formatReplaySummary,
  replayLine,
} from "./replay.js";

interface ReplayOptions {
  readonly input: string;
  readonly output: string;
  readonly policy?: string;
}

/** Agents kept in state during a replay: a whole fleet fits; the bound only guards memory. */
const REPLAY_MAX_AGENTS = 1_000_000;
const REPLAY_IDLE_EVICT_MS = 2 * 60 * 60 * 1000;

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description(
      "run detection over a file of audit events in event time, as if live, and write the decisions",
    )
    .requiredOption(
      "--input <file>",
      "audit events, NDJSON (.gz is decompressed)",
    )
    .requiredOption("--output <file>", "decisions v1, one per line")
    .option(
      "--policy <file>",
      "detector policy (JSON); default: the built-in policy",
    )
    .action(async (options: ReplayOptions) => {
      const policy = options.policy
        ? parsePolicy(JSON.parse(readFileSync(options.policy, "utf8")))
        : DEFAULT_POLICY;
      const engine = createScoringEngine({
        limits: DEFAULT_DETECTOR_LIMITS,
        policy,
        maxAgents: REPLAY_MAX_AGENTS,
        idleEvictMs: REPLAY_IDLE_EVICT_MS,
      });
      const totalBytes = statSync(options.input).size;
      const file = createReadStream(options.input);
      const text = options.input.endsWith(".gz")
        ? file.pipe(createGunzip())
        : file;
      const output = createWriteStream(options.output);
      const bar = process.stderr.isTTY
        ? new SingleBar({
            stream: process.stderr,
            format:
              "replay [{bar}] {percentage}% of the file | {events} events | {decisions} decisions",
            hideCursor: true,
          })
        : undefined;
      bar?.start(totalBytes, 0, { events: 0, decisions: 0 });
      const summary = createReplaySummary();
      let decisions = 0;
      for await (const line of createInterface({
        input: text,
        crlfDelay: Infinity,
      })) {
        const decision = replayLine(line, engine, summary);
        if (decision) {
          decisions++;
          if (!output.write(`${JSON.stringify(decision)}\n`))
            await once(output, "drain");
        }
        if (bar && summary.lines % 10_000 === 0)
          bar.update(file.bytesRead, { events: summary.events, decisions });
      }
      bar?.update(totalBytes, { events: summary.events, decisions });
      bar?.stop();
      output.end();
      await once(output, "finish");
      process.stdout.write(`${formatReplaySummary(summary).join("\n")}\n`);
    });
}
