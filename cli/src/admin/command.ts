import type { Command } from "commander";
import { printable } from "../terminal-text.js";
import { callRevoker, readRevokerAdminConnection } from "./revoker-client.js";

interface Pending {
  readonly decision_id: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly reason: string;
  readonly deadline: string;
}

const ENV_HELP = `
Needs WARDEN_ADMIN_TOKEN (a revoker receiver token with scope warden.admin, read from the
environment so it stays out of shell history) and WARDEN_REVOKER_URL (default http://127.0.0.1:8088).`;

function print(json: boolean, value: unknown, line: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${line}\n`);
}

/** Manual kill switch, undo, and the approval queue: `revoke`, `reinstate`, `approvals`, `approve`, `deny`. */
export function registerAdminCommands(program: Command): void {
  for (const kind of ["revoke", "reinstate"] as const) {
    program
      .command(`${kind} <agent>`)
      .description(
        kind === "revoke"
          ? "revoke an agent now: SETs to every receiver, kill switch to gateways, connectors"
          : "undo a revocation: RISC account-enabled, kill switch lifted, connectors re-enable",
      )
      .requiredOption(
        "--reason <text>",
        "why, in a sentence the SOC and receivers will read",
      )
      .option("--tenant <tenant>", "the agent's tenant", "default")
      .option("--credential <ids...>", "credential ids to revoke with it")
      .option("--json", "print the revoker's answer as JSON", false)
      .addHelpText(
        "after",
        `\nExample:\n  warden ${kind} agent:report-bot/7 --tenant acme --reason "bulk export of customers"\n${ENV_HELP}`,
      )
      .action(
        async (
          agent: string,
          options: {
            reason: string;
            tenant: string;
            credential?: string[];
            json: boolean;
          },
        ) => {
          const config = readRevokerAdminConnection(process.env);
          const answer = (await callRevoker(config, "POST", `/admin/${kind}`, {
            tenant: options.tenant,
            agent_id: agent,
            reason: options.reason,
            ...(options.credential
              ? { credential_ids: options.credential }
              : {}),
          })) as { txn: string };
          print(
            options.json,
            answer,
            `${kind === "revoke" ? "revoked" : "reinstated"} ${agent} (tenant ${options.tenant}), txn ${answer.txn}`,
          );
        },
      );
  }

  program
    .command("approvals")
    .description(
      "list revoke decisions waiting for a person (policy marked their agent or kind)",
    )
    .option("--json", "one JSON object per line", false)
    .addHelpText("after", `\nExample:\n  warden approvals\n${ENV_HELP}`)
    .action(async (options: { json: boolean }) => {
      const pending = (await callRevoker(
        readRevokerAdminConnection(process.env),
        "GET",
        "/admin/approvals",
      )) as Pending[];
      if (!options.json) process.stdout.write(`${pending.length} pending\n`);
      for (const item of pending)
        print(
          options.json,
          item,
          // Every field came over the network; escape what could drive the terminal.
          [
            item.decision_id,
            item.tenant,
            item.agent_id,
            `deadline ${item.deadline}`,
            item.reason,
          ]
            .map((field) => printable(String(field)))
            .join("\t"),
        );
    });

  for (const verdict of ["approve", "deny"] as const) {
    program
      .command(`${verdict} <decision>`)
      .description(
        verdict === "approve"
          ? "let a pending revocation go out"
          : "drop a pending revocation",
      )
      .addHelpText(
        "after",
        `\nExample:\n  warden ${verdict} 3f9c2a…\n${ENV_HELP}`,
      )
      .action(async (decision: string) => {
        await callRevoker(
          readRevokerAdminConnection(process.env),
          "POST",
          `/admin/approvals/${encodeURIComponent(decision)}/${verdict}`,
        );
        process.stdout.write(
          `${verdict === "approve" ? "approved" : "denied"} ${decision}\n`,
        );
      });
  }
}
