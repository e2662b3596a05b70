/**
 * `warden agents` / `warden agent <id>` options, checked in one place (pure, the clock passed
 * in) so that bad usage is one clear message and exit code 2, never a request.
 */

export const DEFAULT_SINCE = "24h";
export const DEFAULT_AGENTS_LIMIT = 20;
export const DEFAULT_EVENTS_LIMIT = 20;
// The query API's largest page.
export const MAX_LIMIT = 1_000;

const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/u;
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export class UsageError extends Error {}

/** `90s`, `30m`, `24h`, `7d` → milliseconds. */
export function parseSince(text: string): number {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? 0) : NaN;
  if (!(ms > 0))
    throw new UsageError(
      `--since takes a duration like 30m, 24h or 7d, got "${text}"`,
    );
  return Math.round(ms);
}

export function parseLimit(text: string, flag = "--limit"): number {
  const limit = Number(text);
  if (
    text.trim() === "" ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_LIMIT
  )
    throw new UsageError(
      `${flag} takes a whole number from 1 to ${MAX_LIMIT}, got "${text}"`,
    );
  return limit;
}

function nonEmpty(text: string, flag: string): string {
  if (text.trim() === "") throw new UsageError(`${flag} must not be empty`);
  return text;
}

export interface AgentsQuery {
  readonly tenant: string | undefined;
  readonly limit: number;
  readonly fromMs: number;
  readonly toMs: number;
}

export function resolveAgentsOptions(
  raw: {
    readonly tenant?: string;
    readonly limit: string;
    readonly since: string;
  },
  nowMs: number,
): AgentsQuery {
  return {
    tenant:
      raw.tenant === undefined ? undefined : nonEmpty(raw.tenant, "--tenant"),
    limit: parseLimit(raw.limit),
    fromMs: nowMs - parseSince(raw.since),
    toMs: nowMs,
  };
}

export interface AgentQuery {
  readonly agentId: string;
  readonly tenant: string;
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly fromMs: number;
  readonly toMs: number;
}

export function resolveAgentOptions(
  agentId: string,
  raw: {
    readonly tenant: string;
    readonly limit: string;
    readonly since: string;
    readonly cursor?: string;
  },
  nowMs: number,
): AgentQuery {
  return {
    agentId: nonEmpty(agentId, "the agent id"),
    tenant: nonEmpty(raw.tenant, "--tenant"),
    limit: parseLimit(raw.limit),
    cursor:
      raw.cursor === undefined ? undefined : nonEmpty(raw.cursor, "--cursor"),
    fromMs: nowMs - parseSince(raw.since),
    toMs: nowMs,
  };
}
