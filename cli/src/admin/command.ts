import type { Command } from "commander";
import { ExitCode } from "../api-client.js";
import { printable } from "../terminal-text.js";
import {
  readRevokerAdminConnection,
  revokerRequest,
} from "../ssf/ssf-client.js";

interface Pending {
  readonly decision_id: string;
  readonly tenant: string;
  readonly agent_id: string;
  readonly reason: string;
  readonly deadline: string;
}

interface DeadDecision {
  readonly seq: number;
  readonly decision_id?: string;
  readonly tenant?: string;
  readonly agent_id?: string;
  readonly reason: string;
  readonly deliveries: number;
  readonly error: string;
  readonly dead_at: string;
}

const ENV_HELP = `
Needs WARDEN_ADMIN_TOKEN (a revoker receiver token with scope warden.admin, read from the
environment so it stays out of shell history) and WARDEN_REVOKER_URL (default http://127.0.0.1:8088).`;

function print(json: boolean, value: unknown, line: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${line}\n`);
}

/** Manual kill switch, undo, the approval queue and dead decisions: `revoke`, `reinstate`, `approvals`, `approve`, `deny`, `dead-decisions`, `redrive`. */
export function registerAdminCommands(program: Command): void {
  registerDeadDecisionCommands(program);
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
          const answer = (await revokerRequest(
            config,
            "POST",
            `/admin/${kind}`,
            {
              body: {
                tenant: options.tenant,
                agent_id: agent,
                reason: options.reason,
                ...(options.credential
                  ? { credential_ids: options.credential }
                  : {}),
              },
            },
          )) as { txn: string };
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
      const pending = (await revokerRequest(
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
        await revokerRequest(
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

/** Decisions the revoker gave up on (`GET /admin/dead-decisions`) and their re-drive. */
function registerDeadDecisionCommands(program: Command): void {
  program
    .command("dead-decisions")
    .description(
      "list decisions the revoker dead-lettered (every delivery failed, or unparseable)",
    )
    .option("--limit <n>", "at most this many (the revoker caps it)")
    .option("--from <seq>", "start at this sequence (the previous page's next)")
    .option("--json", "one JSON object per line", false)
    .addHelpText("after", `\nExample:\n  warden dead-decisions\n${ENV_HELP}`)
    .action(
      async (options: { limit?: string; from?: string; json: boolean }) => {
        const query = new URLSearchParams();
        if (options.limit !== undefined) query.set("limit", options.limit);
        if (options.from !== undefined) query.set("from", options.from);
        const page = (await revokerRequest(
          readRevokerAdminConnection(process.env),
          "GET",
          `/admin/dead-decisions${query.size > 0 ? `?${query.toString()}` : ""}`,
        )) as { dead_decisions: DeadDecision[]; next: number };
        if (!options.json)
          process.stdout.write(`${page.dead_decisions.length} dead\n`);
        for (const item of page.dead_decisions)
          print(
            options.json,
            item,
            [
              item.seq,
              item.decision_id ?? "-",
              item.tenant ?? "-",
              item.agent_id ?? "-",
              item.reason,
              `${item.deliveries} deliveries`,
              item.dead_at,
              item.error,
            ]
              .map((field) => printable(String(field)))
              .join("\t"),
          );
        // A full page may have more after it; the revoker says where the next one starts.
        if (
          !options.json &&
          page.dead_decisions.length >= Number(options.limit ?? 100)
        )
          process.stdout.write(`more: --from ${page.next}\n`);
      },
    );

  program
    .command("redrive [seq]")
    .description(
      "put a dead decision (or --all of yours) back on the decisions stream to run again",
    )
    .option("--all", "every dead decision of your tenant", false)
    .addHelpText(
      "after",
      `\nExample:\n  warden redrive 42\n  warden redrive --all\n${ENV_HELP}`,
    )
    .action(async (seq: string | undefined, options: { all: boolean }) => {
      if ((seq === undefined) === !options.all)
        program.error("error: give one sequence number or --all", {
          exitCode: ExitCode.usage,
        });
      if (seq !== undefined && !/^\d+$/u.test(seq))
        program.error(`error: ${printable(seq)} is not a sequence number`, {
          exitCode: ExitCode.usage,
        });
      const answer = (await revokerRequest(
        readRevokerAdminConnection(process.env),
        "POST",
        "/admin/dead-decisions/redrive",
        { body: options.all ? { all: true } : { seq: Number(seq) } },
      )) as { redriven: number[] };
      process.stdout.write(
        `redriven ${answer.redriven.length}: ${answer.redriven.join(" ") || "-"}\n`,
      );
    });
}
