import type { NatsConnection } from "nats";
import type { DecisionV1, WardenNames } from "@warden/shared";
import { eventually } from "./service.js";

/** A tiny SSF management client for tests: JSON in, status + JSON out. */
export function ssfClient(base: string, token: string | undefined) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: response.headers,
    };
  };
}

/** Publishes a revoke decision for `agentId` (msgID = decision id) and returns it. */
export async function publishDecision(
  connection: NatsConnection,
  names: WardenNames,
  decisionId: string,
  agentId: string,
  extra: Partial<DecisionV1> = {},
): Promise<DecisionV1> {
  const decision: DecisionV1 = {
    schema: "agent-decision/v1",
    decision_id: decisionId,
    tenant: "acme",
    agent_id: agentId,
    action: "revoke",
    risk: 0.95,
    at: new Date().toISOString(),
    reasons: [
      {
        detector: "rate_spike",
        score: 0.95,
        summary: "900 calls/min vs baseline p99 30",
      },
    ],
    ...extra,
  };
  await connection
    .jetstream()
    .publish(
      names.decisionSubject(decision.tenant ?? "default", agentId),
      JSON.stringify(decision),
      {
        msgID: decisionId,
      },
    );
  return decision;
}

/** The value of one metric sample line from a Prometheus text page (0 when absent). */
export async function metricValue(
  opsBase: string,
  sample: string,
): Promise<number> {
  const page = await (await fetch(`${opsBase}/metrics`)).text();
  const line = page
    .split("\n")
    .find((candidate) => candidate.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** Waits until `condition()` holds (a synchronous check polled by `eventually`). */
export async function until(
  what: string,
  condition: () => boolean,
  timeoutMs?: number,
): Promise<void> {
  await eventually(
    what,
    () => Promise.resolve(condition() ? true : undefined),
    timeoutMs,
  );
}
