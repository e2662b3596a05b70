import type { FastifyPluginCallback } from "fastify";
import { SsfPath } from "../../core/metadata.js";
import { readPollRequest } from "../../core/poll.js";
import { Scope } from "../../core/receivers.js";
import { DeliveryMethod } from "../../core/stream.js";
import { sendError, type SsfApiContext } from "./context.js";

/** RFC 8936 poll delivery: acknowledge, report errors, take the next SETs (long poll). */
export const pollRoutes: FastifyPluginCallback<SsfApiContext> = (
  app,
  api,
  done,
) => {
  app.post(
    `${SsfPath.poll}/:stream_id`,
    { preHandler: api.guard(Scope.read) },
    async (request, reply) => {
      const record = await api.ownStream(
        request,
        reply,
        (request.params as Record<string, unknown>)["stream_id"],
      );
      if (!record) return reply;
      if (record.delivery.method !== DeliveryMethod.poll)
        return sendError(
          reply,
          400,
          "invalid_request",
          "this stream is delivered by push",
        );
      const parsed = readPollRequest(request.body);
      if (!parsed.ok)
        return sendError(reply, 400, "invalid_request", parsed.description);
      return api.options.transmitter.poll(
        record,
        parsed.request,
        api.options.pollWaitMs,
      );
    },
  );
  done();
};
