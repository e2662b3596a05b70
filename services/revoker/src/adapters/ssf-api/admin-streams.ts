import type { FastifyPluginCallback } from "fastify";
import { Scope, type Receiver } from "../../core/receivers.js";
import { verificationRefusal, type StreamRecord } from "../../core/stream.js";
import { STREAM_ID_PATTERN } from "../../names.js";
import { sendError, type SsfApiContext } from "./context.js";

/**
 * The SSF streams an admin's tenant covers, as the SOC sees them (scope warden.admin, for the console's receivers page,
 * issue 19): configuration without secrets, status and the SETs waiting in its queues; and a
 * verification event sent on the operator's request (SSF 1.0 §8.1.4), at most one per
 * `min_verification_interval` per stream like the receiver's own.
 */
export const adminStreamRoutes: FastifyPluginCallback<SsfApiContext> = (
  app,
  api,
  done,
) => {
  const { store, transmitter, queueDepth, minVerificationIntervalMs } =
    api.options;
  const admin = { preHandler: api.guard(Scope.admin) };
  const lastVerification = new Map<string, number>();
  // A tenant's admin sees its tenant's streams; the operator's (`*`) sees every stream.
  const visible = (receiver: Receiver | undefined, record: StreamRecord) =>
    receiver !== undefined &&
    (receiver.tenant === "*" || record.tenant === receiver.tenant);
  const depth = (record: StreamRecord, kind: "events" | "control") =>
    queueDepth ? queueDepth(record.stream_id, kind).catch(() => -1) : -1;

  app.get("/admin/streams", admin, async (request) => ({
    streams: await Promise.all(
      store
        .cached()
        .filter((record) => visible(request.receiver, record))
        .map(async (record) => ({
          stream_id: record.stream_id,
          receiver: record.owner,
          aud: record.aud,
          delivery_method: record.delivery.method,
          endpoint_url: record.delivery.endpoint_url,
          status: record.status,
          ...(record.reason ? { reason: record.reason } : {}),
          events_requested: record.events_requested,
          // -1: the host keeps no queue it can count.
          queued_events: await depth(record, "events"),
          queued_control: await depth(record, "control"),
          updated_at: record.updated_at,
          ...(record.last_activity_at
            ? { last_activity_at: record.last_activity_at }
            : {}),
          ...(record.last_verified_at
            ? { last_verified_at: record.last_verified_at }
            : {}),
        })),
    ),
  }));

  app.post<{ Params: { stream_id: string } }>(
    "/admin/streams/:stream_id/verify",
    admin,
    async (request, reply) => {
      const streamId = request.params.stream_id;
      const record = STREAM_ID_PATTERN.test(streamId)
        ? await store.get(streamId)
        : undefined;
      // Another tenant's stream is answered like a missing one.
      if (!record || !visible(request.receiver, record))
        return sendError(reply, 404, "not_found", "no such stream");
      const refused = verificationRefusal(record);
      if (refused) return sendError(reply, 400, "invalid_request", refused);
      const last = lastVerification.get(streamId) ?? Number.NEGATIVE_INFINITY;
      if (Date.now() - last < minVerificationIntervalMs)
        return sendError(
          reply,
          429,
          "too_many_requests",
          `at most one verification per ${api.intervalSeconds} s`,
        );
      lastVerification.set(streamId, Date.now());
      await transmitter.verify(record, `warden-console-${Date.now()}`);
      api.log.info(
        {
          audit: "verification_requested",
          by: request.receiver?.id,
          stream_id: streamId,
        },
        "verification sent on an operator's request",
      );
      return reply.code(204).send();
    },
  );
  done();
};
