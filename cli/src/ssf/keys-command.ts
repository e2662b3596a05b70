import type { Command } from "commander";
import {
  formatKeyList,
  formatRotation,
  type KeyDescription,
} from "./format.js";
import { readRevokerAdminConnection, revokerRequest } from "./ssf-client.js";

const ENV_HELP = `
Environment:
  WARDEN_ADMIN_TOKEN  bearer token of a revoker receiver with scope warden.admin (never printed)
  WARDEN_REVOKER_URL  the revoker's URL (default http://127.0.0.1:8088)

Exit codes: 0 done, 1 failed, 2 bad usage, 4 token refused or lacking the scope.`;

const connection = () => readRevokerAdminConnection(process.env);

/** `warden keys list|rotate`: the revoker's SET signing keys (admin API). */
export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("the revoker's SET signing keys: list, rotate")
    .addHelpText(
      "after",
      `\nExample:\n  $ warden keys list\n  $ warden keys rotate\n${ENV_HELP}`,
    );

  keys
    .command("list")
    .description(
      "the keys in the JWKS: the one that signs, and retiring ones still verifying earlier SETs",
    )
    .option("--json", "the revoker's answer as JSON", false)
    .addHelpText(
      "after",
      `\nExample:\n  $ warden keys list --json\n${ENV_HELP}`,
    )
    .action(async (options: { json: boolean }) => {
      const target = connection();
      const answer = (await revokerRequest(
        target,
        "GET",
        `${target.url}/admin/keys`,
      )) as { keys: KeyDescription[] };
      process.stdout.write(
        options.json
          ? `${JSON.stringify(answer)}\n`
          : formatKeyList(answer.keys),
      );
    });

  keys
    .command("rotate")
    .description(
      "rotate now: a new key signs from now on; the previous one stays in the JWKS for the overlap (REVOKER_KEY_OVERLAP)",
    )
    .option("--json", "the revoker's answer as JSON", false)
    .addHelpText("after", `\nExample:\n  $ warden keys rotate\n${ENV_HELP}`)
    .action(async (options: { json: boolean }) => {
      const target = connection();
      const answer = (await revokerRequest(
        target,
        "POST",
        `${target.url}/admin/keys/rotate`,
      )) as {
        previous_kid: string;
        active_kid: string;
        keys: KeyDescription[];
      };
      process.stdout.write(
        options.json ? `${JSON.stringify(answer)}\n` : formatRotation(answer),
      );
    });
}
