import type { CanonicalEvent } from "@warden/shared";
import type { AllInOne } from "../all-in-one.js";
import { reacceptLine } from "../replay/replay.js";

/**
 * The demo's behavioural case (issue 14 item 10): a reporting agent with two days of history,
 * a call every three minutes reading CRM contacts, which after the learning phase exports
 * restricted payroll data it never touched. No absolute limit objects to a few calls; only its
 * own baseline can tell. Its history is written straight into the embedded store (no HTTP, no
 * scoring), before any traffic, so the first refresh tick builds its model from it.
 *
 * It lives in a tenant of its own: peer-group and tenant baselines are per tenant, so one
 * agent's history never becomes the measure of the simulated population, whose agents keep
 * being judged as they are without history.
 */
export const BEHAVIOURAL_AGENT = {
  tenant: "finance",
  agentId: "agent:payroll-reporter",
} as const;

const HISTORY_MS = 2 * 86_400_000;
const EVERY_MS = 3 * 60_000;
/** The history ends before the current refresh tick (5 min by default) starts. */
const HISTORY_GAP_MS = 10 * 60_000;
const EXPORTS = 3;
const EXPORT_EVERY_MS = 2_000;

function auditEvent(index: number, timeMs: number, exported: boolean): string {
  return JSON.stringify({
    schema: "agent-audit/v1",
    event_id: `demo-behavioural-${timeMs}-${index}`,
    time: new Date(timeMs).toISOString(),
    tenant: BEHAVIOURAL_AGENT.tenant,
    agent: {
      id: BEHAVIOURAL_AGENT.agentId,
      kind: "report-job",
      owner: "controller@finance.example",
    },
    credential: { id: "key-payroll-reporter", type: "api_key" },
    action: exported
      ? { name: "hr.payroll.export", verb: "export" }
      : { name: "crm.contacts.read", verb: "read" },
    resource: exported
      ? { id: "hr:payroll", type: "hr.payroll", sensitivity: "restricted" }
      : {
          id: `crm:contact/${index % 40}`,
          type: "crm.contact",
          sensitivity: "internal",
        },
    source: { ip: "10.20.0.14", gateway: "demo-gateway" },
    outcome: "success",
    bytes_out: exported ? 6_000_000 : 1_500 + (index % 9) * 200,
  });
}

/** Writes the agent's two days of history into the store, ending shortly before `nowMs`. */
export async function backfillBehaviouralHistory(
  warden: Pick<AllInOne, "history">,
  nowMs: number,
): Promise<number> {
  const endMs = nowMs - HISTORY_GAP_MS;
  const events: CanonicalEvent[] = [];
  for (let at = endMs - HISTORY_MS, i = 0; at < endMs; at += EVERY_MS, i++) {
    const event = reacceptLine(auditEvent(i, at, false));
    if (event) events.push(event);
  }
  await warden.history(events);
  return events.length;
}

/**
 * The exports, a few seconds apart, through the ingest like any gateway's calls; like a real
 * gateway's enforcer, the demo's drops them once the agent is revoked (counted as blocked).
 */
export async function runBehaviouralExports(
  warden: Pick<AllInOne, "ingest" | "revoker">,
  wait: (ms: number) => Promise<void>,
  onBlocked: (calls: number) => void,
): Promise<void> {
  for (let i = 0; i < EXPORTS; i++) {
    if (i > 0) await wait(EXPORT_EVERY_MS);
    const revoked = warden.revoker
      .revoked()
      .some(
        (message) =>
          message.tenant === BEHAVIOURAL_AGENT.tenant &&
          message.agent_id === BEHAVIOURAL_AGENT.agentId,
      );
    if (revoked) onBlocked(1);
    else await warden.ingest([Buffer.from(auditEvent(i, Date.now(), true))]);
  }
}
