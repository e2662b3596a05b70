import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { BaselineModel, CanonicalEvent } from "@warden/shared";
import {
  createWhatIf,
  parsePolicy,
  PolicyError,
  type DetectorConfig,
  type Policy,
} from "@warden/detector";
import type { ModelSettings } from "../config.js";
import { scoreWindow, type StoredEvents } from "./what-if-window.js";

/**
 * POST /v1/what-if (issue 19, console page 5): a proposed policy run over the last N hours of
 * stored events by the detector's own scoring engine, beside the policy in force, before it is
 * applied. Read-only like the rest of the API. Bounded: at most MAX_HOURS of history and
 * MAX_EVENTS events, TIME_LIMIT_MS of scoring, one run at a time; a run cut short says so.
 *
 * The detector's settings (its policy file and limits) are the DETECTOR_* variables given to
 * this service too: the same loader, so both read them one way.
 *
 * Each event is scored against the baselines of its refresh tick, not today's
 * (what-if-window.ts). Rebuilding them counts against the time limit.
 */
export const WHAT_IF_MAX_HOURS = 24;
export const WHAT_IF_MAX_EVENTS = 200_000;
export const WHAT_IF_TIME_LIMIT_MS = 10_000;
/** Stored history replayed in memory for the window's baselines at most (what-if-window.ts). */
export const WHAT_IF_MAX_HISTORY_EVENTS = 200_000;
/** Decisions listed per kind of difference (the counts are exact). */
export const WHAT_IF_MAX_LISTED = 500;
/** Request bodies above this are refused (a policy file is a few kilobytes). */
export const WHAT_IF_MAX_BODY_BYTES = 256 * 1024;
/** Decisions of one agent this close in event time are one decision moved (core/what-if.ts). */
export const WHAT_IF_MATCH_WINDOW_MS = 60_000;
const PAGE_ROWS = 5_000;
const HOUR_MS = 3_600_000;

type Rows = <T>(query: string, params: Record<string, unknown>) => Promise<T[]>;

interface WhatIfBody {
  readonly policy?: unknown;
  readonly hours?: unknown;
  readonly tenant?: unknown;
}

export type Detector = Pick<
  DetectorConfig,
  | "limits"
  | "policy"
  | "policyFile"
  | "maxAgents"
  | "maxAgentsPerTenant"
  | "idleEvictMs"
>;

/** The policy in force: the detector's file as it is now (it reloads edits), else its default. */
export function currentPolicy(detector: Detector): Policy {
  if (detector.policyFile === "") return detector.policy;
  return parsePolicy(
    JSON.parse(readFileSync(detector.policyFile, "utf8")) as unknown,
  );
}

function parseBody(
  body: WhatIfBody | undefined,
):
  | { ok: true; policy: Policy; hours: number; tenant: string }
  | { ok: false; problem: string } {
  if (typeof body !== "object" || body === null)
    return { ok: false, problem: "the body must be a JSON object" };
  const hours = body.hours ?? 1;
  if (
    typeof hours !== "number" ||
    !Number.isInteger(hours) ||
    hours < 1 ||
    hours > WHAT_IF_MAX_HOURS
  )
    return {
      ok: false,
      problem: `hours must be a whole number from 1 to ${WHAT_IF_MAX_HOURS}`,
    };
  const tenant = body.tenant ?? "";
  if (typeof tenant !== "string")
    return { ok: false, problem: "tenant must be a string" };
  if (typeof body.policy !== "object" || body.policy === null)
    return { ok: false, problem: "policy must be a policy document (object)" };
  try {
    return { ok: true, policy: parsePolicy(body.policy), hours, tenant };
  } catch (error) {
    if (error instanceof PolicyError)
      return { ok: false, problem: `policy: ${error.message}` };
    throw error;
  }
}

export function registerWhatIfRoutes(
  app: FastifyInstance,
  options: {
    readonly rows: Rows;
    readonly database: string;
    readonly detector: Detector;
    /** The baseline models' settings (window, refresh interval). */
    readonly settings: ModelSettings;
    /** Every model as the refresh at `tickMs` built it (store/models-at.ts). */
    readonly modelsAt: (tickMs: number) => Promise<readonly BaselineModel[]>;
  },
): void {
  const { rows, database: db, detector } = options;
  let running = false;

  app.get("/v1/policy", async (_request, reply) => {
    try {
      return {
        policy: currentPolicy(detector),
        file: detector.policyFile || null,
      };
    } catch (error) {
      return reply.code(503).send({
        error: `the detector's policy file ${detector.policyFile} cannot be read: ${(error as Error).message}`,
      });
    }
  });

  /** The stored events of one run (one tenant's, or all), read in keyset pages. */
  function storedEvents(tenant: string): StoredEvents {
    const ofTenant = tenant ? "AND tenant = {tenant:String}" : "";
    return {
      async *pages(fromMs, toMs) {
        let after = { timeMs: fromMs, id: "" };
        for (;;) {
          const page = await rows<{ raw: string; t: string; id: string }>(
            `SELECT raw, toUnixTimestamp64Milli(time) AS t, event_id AS id
            FROM ${db}.events FINAL
            WHERE (time, event_id) > (fromUnixTimestamp64Milli({after_time:Int64}), {after_id:String})
              AND time < fromUnixTimestamp64Milli({to:Int64}) ${ofTenant}
            ORDER BY time, event_id LIMIT {limit:UInt32}`,
            {
              after_time: after.timeMs,
              after_id: after.id,
              to: toMs,
              tenant,
              limit: PAGE_ROWS,
            },
          );
          yield page.map((row) => JSON.parse(row.raw) as CanonicalEvent);
          const last = page[page.length - 1];
          if (!last || page.length < PAGE_ROWS) return;
          after = { timeMs: Number(last.t), id: last.id };
        }
      },
      async count(fromMs, toMs) {
        const [row] = await rows<{ n: string }>(
          `SELECT count() AS n FROM ${db}.events
          WHERE time >= fromUnixTimestamp64Milli({from:Int64})
            AND time < fromUnixTimestamp64Milli({to:Int64}) ${ofTenant}`,
          { from: fromMs, to: toMs, tenant },
        );
        return Number(row?.n ?? 0);
      },
      modelsAt: options.modelsAt,
    };
  }

  app.post<{ Body: WhatIfBody }>(
    "/v1/what-if",
    { bodyLimit: WHAT_IF_MAX_BODY_BYTES },
    async (request, reply) => {
      const parsed = parseBody(request.body);
      if (!parsed.ok) return reply.code(400).send({ error: parsed.problem });
      let current: Policy;
      try {
        current = currentPolicy(detector);
      } catch (error) {
        return reply.code(503).send({
          error: `the detector's policy file ${detector.policyFile} cannot be read: ${(error as Error).message}`,
        });
      }
      if (running)
        return reply
          .code(429)
          .header("retry-after", "5")
          .send({ error: "a what-if run is in progress; try again shortly" });
      running = true;
      try {
        const toMs = Date.now();
        const fromMs = toMs - parsed.hours * HOUR_MS;
        const run = createWhatIf({
          current,
          proposed: parsed.policy,
          engine: {
            limits: detector.limits,
            maxAgents: detector.maxAgents,
            maxAgentsPerTenant: detector.maxAgentsPerTenant,
            idleEvictMs: detector.idleEvictMs,
          },
          maxListed: WHAT_IF_MAX_LISTED,
          matchWindowMs: WHAT_IF_MATCH_WINDOW_MS,
        });
        const stopped = await scoreWindow(run, storedEvents(parsed.tenant), {
          fromMs,
          toMs,
          settings: options.settings,
          deadlineMs: Date.now() + WHAT_IF_TIME_LIMIT_MS,
          maxEvents: WHAT_IF_MAX_EVENTS,
          maxHistoryEvents: WHAT_IF_MAX_HISTORY_EVENTS,
        });
        return {
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          complete: stopped === undefined,
          ...(stopped ? { stopped } : {}),
          ...run.result(),
        };
      } finally {
        running = false;
      }
    },
  );
}
