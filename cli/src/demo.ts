import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

/** Sends the contract's example events, its bad examples and a runaway agent's burst to a running all-in-one. */
export async function runDemo(
  baseUrl: string,
  print: (line: string) => void,
): Promise<void> {
  const good = readFileSync(
    new URL(
      "../../shared/contracts/examples/audit-events.ndjson",
      import.meta.url,
    ),
    "utf8",
  );
  const bad = readFileSync(
    new URL(
      "../../shared/contracts/examples/bad-events.ndjson",
      import.meta.url,
    ),
    "utf8",
  );
  const start = Date.now();
  const burst = Array.from({ length: 150 }, (_, i) =>
    JSON.stringify({
      schema: "agent-audit/v1",
      event_id: `demo-${randomUUID()}`,
      time: new Date(start + i * 20).toISOString(),
      tenant: "acme",
      agent: {
        id: "agent:runaway/1",
        kind: "report-job",
        owner: "erin@acme.example",
      },
      credential: { id: "key_demo_1", type: "api_key" },
      action: { name: "crm.contacts.export", verb: "export" },
      resource: {
        id: "crm:contacts",
        type: "table",
        sensitivity: "restricted",
      },
      outcome: "success",
      bytes_out: 250_000,
    }),
  ).join("\n");
  for (const [label, body] of [
    ["example events", good],
    ["bad examples", bad],
    ["runaway agent burst", burst],
  ] as const) {
    const response = await fetch(`${baseUrl}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    const result = (await response.json()) as {
      accepted: number;
      rejected: number;
      results: { status: string; reason?: string; detail?: string }[];
    };
    print(`${label}: ${result.accepted} accepted, ${result.rejected} rejected`);
    for (const line of result.results.filter((r) => r.status === "rejected"))
      print(`  rejected ${line.reason}: ${line.detail}`);
  }
  const decisions = (await (await fetch(`${baseUrl}/v1/decisions`)).json()) as {
    agent_id: string;
    action: string;
    reasons: { summary: string }[];
  }[];
  for (const decision of decisions)
    print(
      `decision: ${decision.action} ${decision.agent_id} — ${decision.reasons[0]?.summary ?? ""}`,
    );
  const count = (await (await fetch(`${baseUrl}/v1/events/count`)).json()) as {
    events: number;
  };
  print(`events stored in embedded ClickHouse: ${count.events}`);
}
