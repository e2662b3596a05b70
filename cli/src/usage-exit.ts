import type { Command, CommanderError } from "commander";
import { ExitCode } from "./api-client.js";

/** Commander's own usage errors (unknown option, missing argument, no subcommand) exit 2, not 1. */
export function usageExitCode(error: CommanderError): number {
  return error.exitCode === 1 && error.code.startsWith("commander.")
    ? ExitCode.usage
    : error.exitCode;
}

/** A command whose commander errors exit with `usageExitCode` (subcommands added later inherit it). */
export function withUsageExitCodes(command: Command): Command {
  return command.exitOverride((error) => {
    process.exit(usageExitCode(error));
  });
}
