import type { FastifyPluginCallback } from "fastify";
import { Scope, coversTenant, type Receiver } from "../../core/receivers.js";
import {
  MAX_DEAD_DECISIONS_PER_CALL,
  type DeadDecision,
  type DeadDecisions,
} from "../dead-decisions.js";
import { bodyOf, sendError, type SsfApiContext } from "./context.js";

// An entry whose body never parsed names no tenant: only the operator (`*`) sees it.
const visible = (receiver: Receiver | undefined, entry: DeadDecision) =>
  receiver !== undefined &&
  (receiver.tenant === "*" ||
    (entry.tenant !== undefined && coversTenant(receiver, entry.tenant)));

const positive = (value: unknown): number | undefined => {
  const number = typeof value === "string" ? Number(value) : value;
  return typeof number === "number" && Number.isInteger(number) && number > 0
    ? number
    : undefined;
};

/**
 * The decisions dead letter (issue 16: a revocation is never dropped): `GET
 * /admin/dead-decisions` lists what the revoker gave up on, `POST
 * /admin/dead-decisions/redrive` with `{"seq": N}` or `{"all": true}` puts entries back on
 * the decisions stream, where they run the whole path again (approval, kill switch, SETs).
 * Scope warden.admin; a tenant's admin sees and re-drives its own tenant's only.
 */
export function adminDeadDecisionRoutes(
  deadDecisions: DeadDecisions,
): FastifyPluginCallback<SsfApiContext> {
  return (app, api, done) => {
    const admin = { preHandler: api.guard(Scope.admin) };

    app.get("/admin/dead-decisions", admin, async (request) => {
      const query = request.query as Record<string, unknown>;
      const limit = positive(query["limit"]) ?? 100;
      const from = positive(query["from"]) ?? 1;
      const { entries, next } = await deadDecisions.list(limit, from);
      return {
        dead_decisions: entries
          .filter((entry) => visible(request.receiver, entry))
          .map((entry) => ({
            seq: entry.seq,
            decision_id: entry.decision_id,
            tenant: entry.tenant,
            agent_id: entry.agent_id,
            reason: entry.reason,
            deliveries: entry.deliveries,
            error: entry.error,
            dead_at: entry.dead_at,
          })),
        // Where the next page starts (entries are read in sequence order).
        next,
      };
    });

    app.post("/admin/dead-decisions/redrive", admin, async (request, reply) => {
      const body = bodyOf(request);
      const seq = positive(body["seq"]);
      if ((seq === undefined) === (body["all"] !== true))
        return sendError(
          reply,
          400,
          "invalid_request",
          'give either "seq" (a positive integer) or "all": true',
        );
      const candidates =
        seq === undefined
          ? (await deadDecisions.list(MAX_DEAD_DECISIONS_PER_CALL)).entries
          : (await deadDecisions.list(1, seq)).entries.filter(
              (entry) => entry.seq === seq,
            );
      const mine = candidates.filter((entry) =>
        visible(request.receiver, entry),
      );
      if (seq !== undefined && mine.length === 0)
        return sendError(reply, 404, "not_found", "no such dead decision");
      const redriven: number[] = [];
      for (const entry of mine)
        if (await deadDecisions.redrive(entry.seq)) redriven.push(entry.seq);
      api.options.onRedriven?.(redriven.length);
      api.log.info(
        {
          audit: "dead_decisions_redriven",
          by: request.receiver?.id,
          seqs: redriven,
        },
        "dead-lettered decisions re-driven",
      );
      return { redriven };
    });
    done();
  };
}
