import type { Command } from "commander";
import type { CanonicalEvent, DecisionV1 } from "@warden/shared";
import {
  getFromBaseline,
  readBaselineClientConfig,
} from "./baseline-client.js";
import {
  DEFAULT_AGENTS_LIMIT,
  DEFAULT_EVENTS_LIMIT,
  DEFAULT_SINCE,
  UsageError,
  resolveAgentOptions,
  resolveAgentsOptions,
} from "./options.js";
import {
  renderAgentReport,
  renderAgents,
  type AgentReport,
  type Baselines,
  type RankedAgent,
} from "./render.js";

const EXIT_USAGE = 2;

const ENV_HELP = `
Reads the baseline service's query API: WARDEN_BASELINE_URL (default http://127.0.0.1:8089) and
WARDEN_BASELINE_TOKEN (the service's BASELINE_API_TOKEN, read from the environment so it stays
out of shell history; never printed).`;

// Revocation records' contract is open (issue 6): shown leniently.
type RevocationRecord = Readonly<Record<string, unknown>>;

function write(lines: readonly string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Usage problems exit 2 with the message; anything else is a failure (exit 1, in main). */
function usage<T>(command: Command, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof UsageError)
      command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE });
    throw error;
  }
}

/** `warden agents` and `warden agent <id>`, over the baseline service's query API. */
export function registerAgentCommands(program: Command): void {
  program
    .command("agents")
    .description(
      "agents active recently, ranked by highest decision risk, then decisions, then calls",
    )
    .option("--tenant <tenant>", "only this tenant (default: all)")
    .option(
      "--limit <n>",
      "how many agents, 1-1000",
      String(DEFAULT_AGENTS_LIMIT),
    )
    .option(
      "--since <duration>",
      "how far back, e.g. 30m, 24h, 7d",
      DEFAULT_SINCE,
    )
    .option("--json", "one JSON object per agent, one per line", false)
    .addHelpText(
      "after",
      `\nExample:\n  warden agents --tenant acme --since 7d --limit 10\n${ENV_HELP}`,
    )
    .action(
      async (
        raw: { tenant?: string; limit: string; since: string; json: boolean },
        command: Command,
      ) => {
        const query = usage(command, () =>
          resolveAgentsOptions(raw, Date.now()),
        );
        const { agents } = await getFromBaseline<{ agents: RankedAgent[] }>(
          readBaselineClientConfig(process.env),
          "/v1/agents",
          {
            tenant: query.tenant,
            limit: query.limit,
            from: query.fromMs,
            to: query.toMs,
          },
        );
        if (raw.json) write(agents.map((agent) => JSON.stringify(agent)));
        else write(renderAgents(agents));
      },
    );

  program
    .command("agent <id>")
    .description(
      "one agent: its baseline, recent events (paged), decisions and revocations",
    )
    .option("--tenant <tenant>", "the agent's tenant", "default")
    .option(
      "--since <duration>",
      "how far back, e.g. 30m, 24h, 7d",
      DEFAULT_SINCE,
    )
    .option(
      "--limit <n>",
      "events per page, 1-1000",
      String(DEFAULT_EVENTS_LIMIT),
    )
    .option(
      "--cursor <cursor>",
      "the next page of events (printed after a full page)",
    )
    .option("--json", "everything as one JSON object", false)
    .addHelpText(
      "after",
      `\nExample:\n  warden agent agent:support-bot/12 --tenant acme --since 2h --limit 50\n${ENV_HELP}`,
    )
    .action(
      async (
        id: string,
        raw: {
          tenant: string;
          since: string;
          limit: string;
          cursor?: string;
          json: boolean;
        },
        command: Command,
      ) => {
        const query = usage(command, () =>
          resolveAgentOptions(id, raw, Date.now()),
        );
        const config = readBaselineClientConfig(process.env);
        const base = `/v1/agents/${encodeURIComponent(query.tenant)}/${encodeURIComponent(query.agentId)}`;
        const range = { from: query.fromMs, to: query.toMs };
        const [baseline, events, decisions, revocations] = await Promise.all([
          getFromBaseline<Baselines>(config, `${base}/baseline`),
          getFromBaseline<{ events: CanonicalEvent[]; next: string | null }>(
            config,
            `${base}/events`,
            { ...range, limit: query.limit, cursor: query.cursor },
          ),
          getFromBaseline<{ decisions: DecisionV1[] }>(
            config,
            `${base}/decisions`,
            range,
          ),
          getFromBaseline<{ revocations: RevocationRecord[] }>(
            config,
            `${base}/revocations`,
            range,
          ),
        ]);
        const report: AgentReport = {
          tenant: query.tenant,
          agentId: query.agentId,
          fromMs: query.fromMs,
          toMs: query.toMs,
          baseline,
          events: events.events,
          nextEvents: events.next,
          decisions: decisions.decisions,
          revocations: revocations.revocations,
        };
        if (
          baseline.agent === null &&
          report.events.length === 0 &&
          report.decisions.length === 0 &&
          report.revocations.length === 0 &&
          query.cursor === undefined
        )
          throw new Error(
            `no agent "${query.agentId}" in tenant "${query.tenant}": no baseline, and no events, decisions or revocations in the last ${raw.since} (check --tenant, or widen --since)`,
          );
        if (raw.json)
          write([
            JSON.stringify({
              tenant: report.tenant,
              agent_id: report.agentId,
              from: new Date(report.fromMs).toISOString(),
              to: new Date(report.toMs).toISOString(),
              baseline: report.baseline,
              events: report.events,
              next_events: report.nextEvents,
              decisions: report.decisions,
              revocations: report.revocations,
            }),
          ]);
        else write(renderAgentReport(report));
      },
    );
}
