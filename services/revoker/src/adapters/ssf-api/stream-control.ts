import type { FastifyPluginCallback } from "fastify";
import { SsfPath } from "../../core/metadata.js";
import { Scope } from "../../core/receivers.js";
import {
  addSubject,
  readStatusUpdate,
  readSubjectRequest,
  removeSubject,
  statusReason,
  verificationRefusal,
} from "../../core/stream.js";
import { bodyOf, sendError, type SsfApiContext } from "./context.js";

/** SSF 1.0 §8.1.2-8.1.4 on one stream: its status, its subjects and verification. */
export const streamControlRoutes: FastifyPluginCallback<SsfApiContext> = (
  app,
  api,
  done,
) => {
  const { store, transmitter, minVerificationIntervalMs } = api.options;
  const lastVerification = new Map<string, number>();

  app.get(
    SsfPath.status,
    { preHandler: api.guard(Scope.read) },
    async (request, reply) => {
      const record = await api.ownStream(
        request,
        reply,
        (request.query as Record<string, unknown>)["stream_id"],
      );
      if (!record) return reply;
      return {
        stream_id: record.stream_id,
        status: record.status,
        ...(record.reason ? { reason: record.reason } : {}),
      };
    },
  );

  app.post(
    SsfPath.status,
    { preHandler: api.guard(Scope.manage) },
    async (request, reply) => {
      const record = await api.ownStream(
        request,
        reply,
        bodyOf(request)["stream_id"],
      );
      if (!record) return reply;
      const update = readStatusUpdate(request.body);
      if (!update.ok)
        return sendError(reply, 400, update.err, update.description);
      const updated = await transmitter.setStatus(
        record,
        update.value.status,
        statusReason(
          update.value.status,
          update.value.reason,
          request.receiver?.id ?? "?",
        ),
      );
      return {
        stream_id: updated.stream_id,
        status: updated.status,
        ...(updated.reason ? { reason: updated.reason } : {}),
      };
    },
  );

  for (const [path, apply, status] of [
    [SsfPath.addSubject, addSubject, 200],
    [SsfPath.removeSubject, removeSubject, 204],
  ] as const) {
    app.post(
      path,
      { preHandler: api.guard(Scope.manage) },
      async (request, reply) => {
        const record = await api.ownStream(
          request,
          reply,
          bodyOf(request)["stream_id"],
        );
        if (!record) return reply;
        const subject = readSubjectRequest(request.body);
        if (!subject.ok)
          return sendError(reply, 400, subject.err, subject.description);
        const updated = apply(record, subject.value, new Date().toISOString());
        const quota = api.options.quotas?.maxSubjectsPerStream;
        if (
          quota !== undefined &&
          updated.subjects_added.length + updated.subjects_removed.length >
            quota
        ) {
          api.options.onQuota?.("subjects");
          return sendError(
            reply,
            409,
            "invalid_request",
            `the stream already lists ${quota} subjects, the most it may (REVOKER_MAX_SUBJECTS_PER_STREAM)`,
          );
        }
        await store.put(updated);
        return reply.code(status).send();
      },
    );
  }

  app.post(
    SsfPath.verify,
    { preHandler: api.guard(Scope.manage) },
    async (request, reply) => {
      const record = await api.ownStream(
        request,
        reply,
        bodyOf(request)["stream_id"],
      );
      if (!record) return reply;
      const state = bodyOf(request)["state"];
      if (state !== undefined && typeof state !== "string")
        return sendError(
          reply,
          400,
          "invalid_request",
          "state must be a string",
        );
      const refused = verificationRefusal(record);
      if (refused) return sendError(reply, 400, "invalid_request", refused);
      const last =
        lastVerification.get(record.stream_id) ?? Number.NEGATIVE_INFINITY;
      if (Date.now() - last < minVerificationIntervalMs) {
        reply.header(
          "retry-after",
          String(
            Math.ceil((last + minVerificationIntervalMs - Date.now()) / 1000),
          ),
        );
        return sendError(
          reply,
          429,
          "too_many_requests",
          `at most one verification per ${api.intervalSeconds} s`,
        );
      }
      lastVerification.set(record.stream_id, Date.now());
      await transmitter.verify(record, state);
      return reply.code(204).send();
    },
  );
  done();
};
