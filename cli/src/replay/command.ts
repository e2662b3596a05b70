import {
  createReadStream,
  createWriteStream,
  readFileSync,
  statSync,
} from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
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
  createEventTimeBaselines,
  loadBaselineConfig,
  type EventTimeBaselines,
} from "@warden/baseline";
import { decisionFinding } from "@warden/revoker";
import type { DecisionV1 } from "@warden/shared";
import { UsageError } from "../api-client.js";
import {
  createExpiryCursor,
  createReplay,
  formatReplaySummary,
  type Replay,
} from "./replay.js";

interface ReplayOptions {
  readonly input: string;
  readonly output: string;
  readonly format: string;
  readonly policy?: string;
  readonly baselines: boolean;
}

function openLines(path: string): AsyncIterator<string> {
  const file = createReadStream(path);
  const text = path.endsWith(".gz") ? file.pipe(createGunzip()) : file;
  return createInterface({ input: text, crlfDelay: Infinity })[
    Symbol.asyncIterator
  ]();
}

/**
 * The second, trailing pass over the file that removes events from the baselines' history
 * once they leave the window. Opened only when the window first starts after the file's
 * first event, so a file shorter than the window is read once.
 */
function createTrailingPass(
  path: string,
  baselines: EventTimeBaselines,
  replay: () => Replay,
): (windowStartMs: number) => Promise<void> {
  let cursor: ReturnType<typeof createExpiryCursor> | undefined;
  let lines: AsyncIterator<string> | undefined;
  let held: string | undefined;
  let ended = false;
  return async (windowStartMs) => {
    if (ended) return;
    lines ??= openLines(path);
    cursor ??= createExpiryCursor(baselines, replay());
    for (;;) {
      if (held === undefined) {
        const next = await lines.next();
        if (next.done) {
          ended = true;
          return;
        }
        held = next.value;
      }
      if (!cursor.offer(held, windowStartMs)) return;
      held = undefined;
    }
  };
}

const { version } = createRequire(import.meta.url)("../../package.json") as {
  version: string;
};

/** Agents kept in state during a replay: a whole fleet fits; the bound only guards memory. */
const REPLAY_MAX_AGENTS = 1_000_000;
const REPLAY_IDLE_EVICT_MS = 2 * 60 * 60 * 1000;
/** Lines handed to the stages at once: the outcome is the same for any size. */
const REPLAY_BATCH_LINES = 1_000;

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
    .requiredOption(
      "--output <file>",
      "decisions v1 (or OCSF Detection Findings with --format ocsf), one per line",
    )
    .option(
      "--format <format>",
      "decision (Warden's decision v1) or ocsf (OCSF 1.8 Detection Finding, class 2004)",
      "decision",
    )
    .option(
      "--policy <file>",
      "detector policy (JSON); default: the built-in policy",
    )
    .option(
      "--no-baselines",
      "score every agent on the absolute limits only (no baselines from the file's history)",
    )
    .action(async (options: ReplayOptions) => {
      if (options.format !== "decision" && options.format !== "ocsf")
        throw new UsageError(
          `--format must be decision or ocsf, got ${JSON.stringify(options.format)}`,
        );
      const render =
        options.format === "ocsf"
          ? (decision: DecisionV1) => decisionFinding(decision, version)
          : (decision: DecisionV1) => decision;
      const policy = options.policy
        ? parsePolicy(JSON.parse(readFileSync(options.policy, "utf8")))
        : DEFAULT_POLICY;
      const engine = createScoringEngine({
        limits: DEFAULT_DETECTOR_LIMITS,
        policy,
        maxAgents: REPLAY_MAX_AGENTS,
        idleEvictMs: REPLAY_IDLE_EVICT_MS,
      });
      // The baseline service's own settings (BASELINE_WINDOW, BASELINE_REFRESH_INTERVAL, …).
      const baselines = options.baselines
        ? createEventTimeBaselines(loadBaselineConfig(process.env).model)
        : undefined;
      const expire = baselines
        ? createTrailingPass(options.input, baselines, () => replay)
        : undefined;
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
      let decisions = 0;
      const replay = createReplay({
        engine,
        baselines,
        ...(expire ? { expire } : {}),
        async onDecision(decision) {
          decisions++;
          if (!output.write(`${JSON.stringify(render(decision))}\n`))
            await once(output, "drain");
        },
      });
      const { summary } = replay;
      let batch: string[] = [];
      const flush = async () => {
        await replay.lines(batch);
        batch = [];
        bar?.update(file.bytesRead, { events: summary.events, decisions });
      };
      for await (const line of createInterface({
        input: text,
        crlfDelay: Infinity,
      })) {
        batch.push(line);
        if (batch.length >= REPLAY_BATCH_LINES) await flush();
      }
      await flush();
      bar?.update(totalBytes, { events: summary.events, decisions });
      bar?.stop();
      output.end();
      await once(output, "finish");
      const lines = formatReplaySummary(summary);
      if (baselines)
        lines.push(
          `baselines: ${baselines.modelsBuilt} models built in event time (${baselines.history.scopes} scopes in the window at the end)`,
        );
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
