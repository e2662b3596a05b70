#!/usr/bin/env node
// `warden`: one binary with subcommands. `start` runs the all-in-one mode on embedded defaults.
import { createRequire } from "node:module";
import { Command } from "commander";
import { describeError } from "@warden/shared";
import { registerStart } from "./all-in-one-command.js";
import { registerAdminCommands } from "./admin/command.js";
import { exitCodeOf } from "./api-client.js";
import { registerAgentCommands } from "./agents/command.js";
import { registerDlq } from "./dlq/command.js";
import { registerImport } from "./import/command.js";
import { registerReplay } from "./replay/command.js";
import { registerKeys } from "./ssf/keys-command.js";
import { registerReceivers } from "./ssf/receivers-command.js";
import { registerSimulate } from "./simulate/command.js";
import { withUsageExitCodes } from "./usage-exit.js";

const { version } = createRequire(import.meta.url)("../package.json") as {
  version: string;
};

// Commander's own usage errors exit 2 like ours; subcommands inherit this.
const program = withUsageExitCodes(
  new Command("warden")
    .description(
      "Runtime behavioural monitor with automated revocation for AI agents",
    )
    .version(version),
);

registerStart(program);
registerSimulate(program);
registerDlq(program);
registerAdminCommands(program);
registerAgentCommands(program);
registerReplay(program);
registerImport(program);
registerReceivers(program);
registerKeys(program);

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`warden: ${describeError(error)}\n`);
  process.exit(exitCodeOf(error));
});
