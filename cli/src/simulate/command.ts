import { InvalidArgumentError, type Command } from "commander";
import {
  createLogger,
  createNames,
  matching,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  type Logger,
} from "@warden/shared";
import { DEFAULT_LEARNING_FRACTION, planSimulation } from "@warden/simulator";
import {
  DEFAULT_AGENTS,
  DEFAULT_BATCH,
  DEFAULT_DAYS,
  DEFAULT_SEED,
  MAX_AGENTS,
  parseDuration,
  parseFraction,
  parsePositive,
  parseWholeNumber,
  resolveSimulateOptions,
  type RawSimulateOptions,
  type SimulateSettings,
} from "./options.js";
import { createProgressView } from "./progress.js";
import { runSimulation, type RunSummary } from "@warden/simulator";
import { createFileSink } from "@warden/simulator";
import { createHttpSink } from "@warden/simulator";
import { createKafkaSink } from "@warden/simulator";
import type { EventSink } from "@warden/simulator";

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), after flushing and writing labels. */
export const EXIT_INTERRUPTED = 130;
export const EXIT_USAGE = 2;

const EXAMPLES = `
Examples:
  # a week of 2,000 agents with every attack and trap, to a file plus its labels
  $ warden simulate --agents 2000 --days 7 --seed 42 --out traffic.ndjson.gz
  # live traffic for a demo: 50 events/s for 10 minutes to the all-in-one's HTTP ingest
  $ warden simulate --rate 50 --duration 10m --attacks runaway_loop --http http://127.0.0.1:8080/v1/events
  # into Kafka (KAFKA_BROKERS, WARDEN_NAMESPACE), as gateways would
  $ warden simulate --kafka --agents 500 --days 1 --events 200000`;

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(
      "generate realistic, seeded agent traffic (audit event v1) with labelled attacks and benign traps",
    )
    .option(
      "--seed <n>",
      "random seed: the same seed and options give the same bytes",
      parseWholeNumber(0, 0xffff_ffff),
      DEFAULT_SEED,
    )
    .option(
      "--agents <n>",
      "agents in the population",
      parseWholeNumber(1, MAX_AGENTS),
      DEFAULT_AGENTS,
    )
    .option(
      "--days <n>",
      `simulated days (default ${DEFAULT_DAYS})`,
      parsePositive,
    )
    .option(
      "--duration <d>",
      "simulated time instead of --days, e.g. 90s, 10m, 6h",
      parseDuration,
    )
    .option(
      "--start <time>",
      "event time of the start (default: now with --rate, else the run ends at today's 00:00 UTC)",
    )
    .option(
      "--events <n>",
      "about this many normal events (scales every agent's rate; attacks come on top)",
      parseWholeNumber(1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      "--scale <x>",
      "multiply every agent's normal rate (default 1: the catalogue's realistic rates)",
      parsePositive,
    )
    .option(
      "--rate <n>",
      "live mode: about n events/s, each sent when its event time comes round on the wall clock",
      parsePositive,
    )
    .option(
      "--attacks <list>",
      "all, none, or kinds with counts: runaway_loop,bulk_export:2,…",
      "all",
    )
    .option(
      "--traps <list>",
      "benign traps: all, none, or nightly_batch,gradual_growth:2,…",
      "all",
    )
    .option(
      "--learning <fraction>",
      "share of the run kept free of attacks and traps",
      parseFraction,
      DEFAULT_LEARNING_FRACTION,
    )
    .option(
      "--out <file>",
      "write NDJSON to a file (.gz compresses; - for stdout)",
    )
    .option(
      "--labels <file>",
      "write the labels NDJSON here (default: next to --out as <name>.labels.ndjson)",
    )
    .option(
      "--kafka",
      "produce to the audit topic (KAFKA_* and WARDEN_NAMESPACE variables)",
      false,
    )
    .option(
      "--http <url>",
      "POST NDJSON batches to this ingest URL (token: WARDEN_SIMULATE_HTTP_TOKEN, or per tenant WARDEN_SIMULATE_HTTP_TOKENS)",
    )
    .option(
      "--batch <n>",
      "events per Kafka send, HTTP request or file write",
      parseWholeNumber(1, 100_000),
      DEFAULT_BATCH,
    )
    .option("--json", "print a JSON summary on stdout at the end", false)
    .addHelpText("after", EXAMPLES)
    .action(async (raw: RawSimulateOptions, command: Command) => {
      let settings: SimulateSettings;
      try {
        settings = resolveSimulateOptions(raw, Date.now());
      } catch (error) {
        if (error instanceof InvalidArgumentError)
          command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE });
        throw error;
      }
      const summary = await simulate(settings);
      if (settings.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stderr.write(describe(summary));
      if (summary.interrupted) process.exitCode = EXIT_INTERRUPTED;
    });
}

const simulateSpecs = {
  WARDEN_SIMULATE_HTTP_TOKEN: matching(
    /^[\x21-\x7e]*$/,
    "printable characters without spaces",
  )({
    default: "",
    desc: "bearer token for --http (empty: none)",
  }),
  WARDEN_SIMULATE_HTTP_TOKENS: matching(
    /^(?:[A-Za-z0-9._-]{1,64}=[\x21-\x2b\x2d-\x7e]+(?:,[A-Za-z0-9._-]{1,64}=[\x21-\x2b\x2d-\x7e]+)*)?$/,
    "<tenant>=<token> pairs separated by commas",
  )({
    default: "",
    desc: "one bearer token per tenant for --http (ingest binds each token to one tenant)",
  }),
};

function tenantTokens(spec: string): ReadonlyMap<string, string> {
  return new Map(
    spec === ""
      ? []
      : spec.split(",").map((pair) => {
          const at = pair.indexOf("=");
          return [pair.slice(0, at), pair.slice(at + 1)] as const;
        }),
  );
}

async function simulate(settings: SimulateSettings): Promise<RunSummary> {
  const common = readCommonConfig(process.env, 0);
  const {
    WARDEN_SIMULATE_HTTP_TOKEN: token,
    WARDEN_SIMULATE_HTTP_TOKENS: perTenant,
  } = readEnv(process.env, simulateSpecs);
  // Logs go to stderr: stdout carries the NDJSON (--out -) or the --json summary.
  const logger = createLogger({
    level: common.logLevel,
    service: "warden-simulate",
    destination: process.stderr,
  });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const sink = await openSink(settings, {
      namespace: common.namespace,
      token,
      tenantTokens: tenantTokens(perTenant),
      logger,
      signal: abort.signal,
    });
    const plan = planSimulation({
      seed: settings.seed,
      agents: settings.agents,
      startMs: settings.startMs,
      durationMs: settings.durationMs,
      attacks: settings.attacks,
      traps: settings.traps,
      learningFraction: settings.learningFraction,
      ...(settings.targetEvents !== undefined
        ? { targetEvents: settings.targetEvents }
        : {}),
      ...(settings.scale !== undefined ? { scale: settings.scale } : {}),
    });
    const view = createProgressView(process.stderr);
    try {
      return await runSimulation({
        plan,
        sink,
        batchSize: settings.batchSize,
        live: settings.live,
        labelsPath: settings.labelsPath,
        signal: abort.signal,
        onProgress: (progress) => view.update(progress),
      });
    } finally {
      view.stop();
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function openSink(
  settings: SimulateSettings,
  context: {
    namespace: string;
    token: string;
    tenantTokens: ReadonlyMap<string, string>;
    logger: Logger;
    signal: AbortSignal;
  },
): Promise<EventSink> {
  const { output } = settings;
  switch (output.kind) {
    case "file":
      return createFileSink(output.path);
    case "kafka":
      return createKafkaSink({
        config: readKafkaConfig(process.env),
        names: createNames(context.namespace),
        logger: context.logger,
      });
    case "http":
      return createHttpSink({
        url: output.url,
        token: context.token || undefined,
        tenantTokens: context.tenantTokens,
        signal: context.signal,
      });
  }
}

function describe(summary: RunSummary): string {
  const lines = [
    `simulate: ${summary.events} events (${summary.attack_events} from attacks) for ${summary.agents} agents, ${summary.start} to ${summary.end}, to ${summary.output}${summary.interrupted ? " — interrupted" : ""}`,
    `  ${summary.events_per_second} events/s; ${summary.bytes} bytes of NDJSON${summary.rejected > 0 ? `; the receiver rejected ${summary.rejected}` : ""}`,
    ...summary.labels.map(
      (label) =>
        `  ${label.class} ${label.kind}: ${label.agent_id}, ${label.start} to ${label.end}, ${label.event_count} events`,
    ),
    ...summary.skipped.map((skip) => `  skipped ${skip.kind}: ${skip.reason}`),
  ];
  if (summary.labels_file) lines.push(`  labels: ${summary.labels_file}`);
  return `${lines.join("\n")}\n`;
}
