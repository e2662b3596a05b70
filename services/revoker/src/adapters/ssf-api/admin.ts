import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyPluginCallback } from "fastify";
import { manualAction } from "../../core/action.js";
import { Scope, coversTenant } from "../../core/receivers.js";
import { bodyOf, sendError, type SsfApiContext } from "./context.js";

/** Warden's own operations (scope warden.admin): manual revoke / reinstate, approvals, keys. */
export const adminRoutes: FastifyPluginCallback<SsfApiContext> = (
  app,
  api,
  done,
) => {
  const { transmitter, approvals, keyRing } = api.options;
  const admin = { preHandler: api.guard(Scope.admin) };

  for (const kind of ["revoke", "reinstate"] as const) {
    app.post(`/admin/${kind}`, admin, async (request, reply) => {
      const body = bodyOf(request);
      const { tenant, agent_id: agentId, reason } = body;
      const credentialIds = body["credential_ids"] ?? [];
      // An admin of one tenant acts on that tenant's agents only (issue 16).
      if (
        typeof tenant === "string" &&
        request.receiver &&
        !coversTenant(request.receiver, tenant)
      )
        return sendError(
          reply,
          403,
          "access_denied",
          `this token acts on tenant ${request.receiver.tenant} only`,
        );
      if (
        typeof tenant !== "string" ||
        typeof agentId !== "string" ||
        typeof reason !== "string" ||
        reason === ""
      )
        return sendError(
          reply,
          400,
          "invalid_request",
          "tenant, agent_id and a non-empty reason are required",
        );
      if (
        !Array.isArray(credentialIds) ||
        !credentialIds.every((id) => typeof id === "string")
      )
        return sendError(
          reply,
          400,
          "invalid_request",
          "credential_ids must be an array of strings",
        );
      const action = manualAction({
        kind,
        id: `manual-${randomUUID()}`,
        tenant,
        agentId,
        credentialIds,
        reason: `${reason} (by ${request.receiver?.id ?? "?"})`,
        nowSeconds: Date.now() / 1000,
      });
      // Settled first: a step-up still pending would otherwise escalate the reinstated
      // agent to revoke at its deadline (issue 16).
      if (kind === "reinstate")
        await approvals.withdraw(tenant, agentId, request.receiver?.id ?? "?");
      await transmitter.handleAction(action);
      return reply.code(202).send({ txn: action.id });
    });
  }

  app.get("/admin/approvals", admin, async (request) =>
    (await approvals.list())
      .filter(
        (pending) =>
          request.receiver !== undefined &&
          coversTenant(request.receiver, pending.action.tenant),
      )
      .map((pending) => ({
        decision_id: pending.action.id,
        tenant: pending.action.tenant,
        agent_id: pending.action.agentId,
        // step_up: the agent is held now; approve releases it, deny or the timeout revokes it.
        kind: pending.action.kind,
        reason: pending.action.reasonAdmin,
        requested_at: new Date(pending.requested_at_ms).toISOString(),
        deadline: new Date(pending.deadline_ms).toISOString(),
        on_timeout:
          pending.action.kind === "step_up" ? "revoke" : approvals.onTimeout,
        ...(pending.action.hold
          ? { held: [...pending.action.hold.actions] }
          : {}),
      })),
  );
  for (const verdict of ["approve", "deny"] as const) {
    app.post(
      `/admin/approvals/:decision_id/${verdict}`,
      admin,
      async (request, reply) => {
        const decisionId = String(
          (request.params as Record<string, unknown>)["decision_id"],
        );
        // The person's reason goes into the audit trail with the verdict.
        const reason = bodyOf(request)["reason"];
        if (reason !== undefined && typeof reason !== "string")
          return sendError(
            reply,
            400,
            "invalid_request",
            "reason must be a string",
          );
        const pending = (await approvals.list()).find(
          (entry) => entry.action.id === decisionId,
        );
        // Another tenant's held revoke is answered like a missing one.
        const done =
          pending !== undefined &&
          request.receiver !== undefined &&
          coversTenant(request.receiver, pending.action.tenant) &&
          (await approvals.decide(
            decisionId,
            verdict,
            request.receiver.id,
            reason || undefined,
          ));
        if (!done)
          return sendError(
            reply,
            404,
            "not_found",
            "no pending approval for that decision",
          );
        return { decision_id: decisionId, verdict };
      },
    );
  }

  if (keyRing) registerKeyRoutes(app, api, keyRing);
  done();
};

function registerKeyRoutes(
  app: FastifyInstance,
  api: SsfApiContext,
  keyRing: NonNullable<SsfApiContext["options"]["keyRing"]>,
): void {
  const admin = { preHandler: api.guard(Scope.admin) };
  app.get("/admin/keys", admin, () => {
    const keys = keyRing.describe();
    return { active_kid: keys[0]?.kid, keys };
  });
  app.post("/admin/keys/rotate", admin, async (request, reply) => {
    // The signing key is every tenant's: only an all-tenant admin rotates it.
    if (request.receiver?.tenant !== "*")
      return sendError(
        reply,
        403,
        "access_denied",
        'rotating the signing key needs an admin of tenant "*"',
      );
    const rotated = await keyRing.rotateNow();
    // The audit trail of key changes: who, which kids (never key material).
    api.log.info(
      {
        audit: "signing_key_rotated",
        by: request.receiver?.id,
        kid: rotated.activeKid,
        previous_kid: rotated.previousKid,
      },
      "signing key rotated by hand",
    );
    return {
      previous_kid: rotated.previousKid,
      active_kid: rotated.activeKid,
      keys: keyRing.describe(),
    };
  });
}
