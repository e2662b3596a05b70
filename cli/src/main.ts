#!/usr/bin/env node
// `warden`: one binary with subcommands. `start` runs the all-in-one mode on embedded defaults.
import { Command, InvalidArgumentError } from "commander";
import {
  createLogger,
  createShutdown,
  describeError,
  readClickHouseConfig,
  readCommonConfig,
} from "@warden/shared";
import { isLoopback, loadIngestConfig } from "@warden/ingest";
import { runDemo } from "./demo.js";
import { registerAdminCommands } from "./admin/command.js";
import { registerDlq } from "./dlq/command.js";
import { registerReplay } from "./replay/command.js";
import { registerSimulate } from "./simulate/command.js";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("a port number 0-65535");
  return port;
}

const program = new Command("warden").description(
  "Runtime behavioural monitor with automated revocation for AI agents",
);

program
  .command("start")
  .description(
    "run Warden all-in-one: HTTP ingest, embedded ClickHouse (chDB), in-process detection",
  )
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port to listen on (0 = any)", parsePort, 8080)
  .option(
    "--demo",
    "send example traffic with a runaway agent, print what Warden decided, and stop",
    false,
  )
  .action(async (options: { host: string; port: number; demo: boolean }) => {
    const common = readCommonConfig(process.env, 0);
    const ingest = loadIngestConfig(process.env);
    if (ingest.httpTokens.length === 0 && !isLoopback(options.host))
      throw new Error(
        `--host ${options.host} is not loopback: set INGEST_HTTP_TOKENS so that only known gateways may post`,
      );
    const logger = createLogger({ level: common.logLevel, service: "warden" });
    const shutdown = createShutdown({
      logger,
      deadlineMs: common.shutdownDeadlineMs,
    });
    // Loaded here so that the other commands start without the services' code.
    const { startAllInOne } = await import("./all-in-one.js");
    const warden = await startAllInOne({
      host: options.host,
      port: options.port,
      clickhouse: readClickHouseConfig(process.env),
      ingest,
      logger,
    });
    shutdown.add("all-in-one", () => warden.stop());
    if (options.demo) {
      await runDemo(`http://${options.host}:${warden.port}`, (line) =>
        process.stdout.write(`${line}\n`),
      );
      await shutdown.stop("demo finished");
      return;
    }
    shutdown.installSignalHandlers();
  });

registerSimulate(program);
registerDlq(program);
registerAdminCommands(program);
registerReplay(program);

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`warden: ${describeError(error)}\n`);
  process.exit(1);
});
