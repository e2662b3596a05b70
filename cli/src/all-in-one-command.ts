import { Argument, InvalidArgumentError, type Command } from "commander";
import {
  createLogger,
  createShutdown,
  readClickHouseConfig,
  readCommonConfig,
} from "@warden/shared";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLoopback, loadIngestConfig } from "@warden/ingest";
import { loadBaselineConfig } from "@warden/baseline";
import { loadRevokerConfig, readServerTls } from "@warden/revoker";
import {
  ALL_IN_ONE_DETECTOR_DEFAULTS,
  loadTransmitterConfig,
} from "./all-in-one-config.js";
import { parsePositive, parseWholeNumber } from "./simulate/options.js";

/**
 * `warden start`: the all-in-one on embedded defaults, with `--demo` the live demo, or with a
 * service name that one service in the foreground, exactly as `node services/<name>/dist/main.js`.
 */
export const SERVICES = ["ingest", "baseline", "detector", "revoker"] as const;
type ServiceName = (typeof SERVICES)[number];
const EXIT_USAGE = 2;

export const DEMO_DEFAULTS = {
  seed: 1,
  agents: 100,
  rate: 20,
  learningSeconds: 30,
} as const;

interface StartOptions {
  readonly host: string;
  readonly port: number;
  readonly demo: boolean;
  readonly duration?: number;
  readonly learning: number;
  readonly rate: number;
  readonly agents: number;
  readonly seed: number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("a port number 0-65535");
  return port;
}

/**
 * A service's main.js starts it when imported (its `runService`), reading its configuration
 * from the environment and stopping on SIGTERM / SIGINT by itself.
 */
async function startService(name: ServiceName): Promise<void> {
  const entry = new URL("./main.js", import.meta.resolve(`@warden/${name}`));
  await import(entry.href);
}

export function registerStart(program: Command): void {
  program
    .command("start")
    .description(
      "run Warden all-in-one (HTTP ingest, embedded ClickHouse, in-process detection, SSF push), or one service",
    )
    .addArgument(
      new Argument(
        "[service]",
        "run only this service, configured by its environment (see its README)",
      ).choices(SERVICES),
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any)", parsePort, 8080)
    .option(
      "--demo",
      "live demo: simulated agents, a runaway loop, its revocation and the SETs a demo receiver verified",
      false,
    )
    .option(
      "--duration <seconds>",
      "demo: stop after this many seconds of traffic and print a summary",
      parsePositive,
    )
    .option(
      "--learning <seconds>",
      "demo: seconds of normal traffic before the runaway loop",
      parsePositive,
      DEMO_DEFAULTS.learningSeconds,
    )
    .option(
      "--rate <n>",
      "demo: about n events/s of normal traffic",
      parsePositive,
      DEMO_DEFAULTS.rate,
    )
    .option(
      "--agents <n>",
      "demo: simulated agents",
      parseWholeNumber(1, 100_000),
      DEMO_DEFAULTS.agents,
    )
    .option(
      "--seed <n>",
      "demo: simulator seed",
      parseWholeNumber(0, 4_294_967_295),
      DEMO_DEFAULTS.seed,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ warden start                        # serve POST /v1/events on 127.0.0.1:8080
  $ warden start --demo                 # the live demo; Ctrl-C stops it
  $ warden start --demo --duration 60   # a scripted run: exits 0 after 60 s with a summary
  $ warden start ingest                 # the ingest service alone, against Kafka (KAFKA_*, INGEST_*)`,
    )
    .action(
      async (
        service: ServiceName | undefined,
        options: StartOptions,
        command: Command,
      ) => {
        if (service !== undefined) {
          const given = command.options
            .map((option) => option.attributeName())
            .filter((name) => command.getOptionValueSource(name) === "cli");
          if (given.length > 0)
            command.error(
              `error: warden start ${service} takes no options: it reads its environment (its README lists the variables)`,
              { exitCode: EXIT_USAGE },
            );
          await startService(service);
          return;
        }
        if (!options.demo && options.duration !== undefined)
          command.error("error: --duration applies to --demo", {
            exitCode: EXIT_USAGE,
          });
        await startAllInOneOrDemo(options);
      },
    );
}

async function startAllInOneOrDemo(options: StartOptions): Promise<void> {
  const common = readCommonConfig(process.env, 0);
  const ingest = loadIngestConfig(process.env);
  const revoker = loadRevokerConfig(process.env, "all-in-one");
  const transmitter = loadTransmitterConfig(
    process.env,
    revoker.tls !== undefined,
  );
  if (ingest.httpTokens.length === 0 && !isLoopback(options.host))
    throw new Error(
      `--host ${options.host} is not loopback: set INGEST_GATEWAY_TOKENS so that only known gateways may post`,
    );
  // The demo's screen is its output: logs go to stderr, and only errors unless asked for.
  const logger = options.demo
    ? createLogger({
        level:
          process.env["WARDEN_LOG_LEVEL"] === undefined
            ? "error"
            : common.logLevel,
        service: "warden",
        destination: process.stderr,
      })
    : createLogger({ level: common.logLevel, service: "warden" });
  const shutdown = createShutdown({
    logger,
    deadlineMs: common.shutdownDeadlineMs,
  });
  const clickhouse = readClickHouseConfig(process.env);
  // The baseline service's loader also reads the detector's DETECTOR_* (its what-if scores with them).
  const models = loadBaselineConfig({
    ...ALL_IN_ONE_DETECTOR_DEFAULTS,
    ...process.env,
  });
  const base = {
    host: options.host,
    port: options.port,
    clickhouse,
    ingest,
    revoker,
    // The revoker's own TLS settings: the all-in-one serves its API (and ingest) over https too.
    tls:
      revoker.tls &&
      readServerTls(revoker.tls, {
        cert: "REVOKER_TLS_CERT_FILE",
        key: "REVOKER_TLS_KEY_FILE",
      }),
    baselines: models.model,
    detector: models.detector,
    transmitter,
    dataDir: transmitter.dataDir ?? join(clickhouse.chdbPath, "all-in-one"),
    logger,
  };
  if (!options.demo) {
    // Loaded here so that the other commands start without the services' code.
    const { startAllInOne } = await import("./all-in-one.js");
    const warden = await startAllInOne(base);
    shutdown.add("all-in-one", () => warden.stop());
    shutdown.installSignalHandlers();
    return;
  }
  const { runDemo } = await import("./demo/run-demo.js");
  // The demo is a show: its revocations must not outlive it (a second run revokes again).
  const demoDir = mkdtempSync(join(tmpdir(), "warden-demo-"));
  const demo = runDemo({
    ...base,
    dataDir: transmitter.dataDir ?? demoDir,
    seed: options.seed,
    agents: options.agents,
    rate: options.rate,
    learningMs: Math.round(options.learning * 1000),
    durationMs:
      options.duration === undefined
        ? undefined
        : Math.round(options.duration * 1000),
    signal: shutdown.signal,
    write: (text) => process.stdout.write(text),
    tty: process.stdout.isTTY === true,
    columns: () => process.stdout.columns,
  });
  // Ctrl-C aborts the signal; the demo then stops its parts and prints its summary.
  shutdown.add("demo", () => demo);
  shutdown.add("demo state", () =>
    rm(demoDir, { recursive: true, force: true }),
  );
  shutdown.installSignalHandlers();
  await demo;
  await shutdown.stop("demo finished");
}
