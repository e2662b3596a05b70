import { randomBytes } from "node:crypto";
import type { FastifyPluginCallback } from "fastify";
import { SsfPath } from "../../core/metadata.js";
import { Scope, type Receiver } from "../../core/receivers.js";
import {
  DeliveryMethod,
  changeStream,
  createStream,
  type StreamRecord,
} from "../../core/stream.js";
import { checkReceiverUrl } from "../../core/url-guard.js";
import { bodyOf, sendError, type SsfApiContext } from "./context.js";

/** SSF 1.0 §8.1.1 stream configuration: create, read, update, replace, delete. */
export const streamRoutes: FastifyPluginCallback<SsfApiContext> = (
  app,
  api,
  done,
) => {
  const { store, transmitter } = api.options;

  function pushUrlRefused(record: StreamRecord): string | undefined {
    if (record.delivery.method !== DeliveryMethod.push) return undefined;
    const check = checkReceiverUrl(
      record.delivery.endpoint_url,
      api.options.urlPolicy,
    );
    return check.ok
      ? undefined
      : `delivery.endpoint_url refused: ${check.reason}`;
  }

  app.post(
    SsfPath.streams,
    { preHandler: api.guard(Scope.manage) },
    async (request, reply) => {
      const receiver = request.receiver as Receiver;
      const quota = api.options.quotas?.maxStreamsPerReceiver;
      if (
        quota !== undefined &&
        store.cached().filter((record) => record.owner === receiver.id)
          .length >= quota
      ) {
        api.options.onQuota?.("streams");
        return sendError(
          reply,
          409,
          "invalid_request",
          `this receiver already has ${quota} streams, the most it may have (REVOKER_MAX_STREAMS_PER_RECEIVER); delete one first`,
        );
      }
      const created = createStream(
        request.body,
        randomBytes(16).toString("hex"),
        api.streamContext(receiver),
      );
      if (!created.ok)
        return sendError(reply, 400, created.err, created.description);
      const refused = pushUrlRefused(created.value);
      if (refused) return sendError(reply, 400, "invalid_request", refused);
      await transmitter.prepare(created.value);
      await store.put(created.value);
      api.log.info(
        { stream_id: created.value.stream_id, receiver: receiver.id },
        "stream created",
      );
      return reply.code(201).send(api.show(created.value));
    },
  );

  app.get(
    SsfPath.streams,
    { preHandler: api.guard(Scope.read) },
    async (request, reply) => {
      const streamId = (request.query as Record<string, unknown>)["stream_id"];
      if (streamId === undefined)
        return store
          .cached()
          .filter((record) => record.owner === request.receiver?.id)
          .map((record) => api.show(record));
      const record = await api.ownStream(request, reply, streamId);
      return record ? api.show(record) : reply;
    },
  );

  for (const [method, partial] of [
    ["PATCH", true],
    ["PUT", false],
  ] as const) {
    app.route({
      method,
      url: SsfPath.streams,
      preHandler: api.guard(Scope.manage),
      handler: async (request, reply) => {
        const record = await api.ownStream(
          request,
          reply,
          bodyOf(request)["stream_id"],
        );
        if (!record) return reply;
        const changed = changeStream(
          record,
          bodyOf(request),
          api.streamContext(request.receiver as Receiver),
          partial,
        );
        if (!changed.ok)
          return sendError(reply, 400, changed.err, changed.description);
        const refused = pushUrlRefused(changed.value);
        if (refused) return sendError(reply, 400, "invalid_request", refused);
        await transmitter.prepare(changed.value);
        await store.put(changed.value);
        return api.show(changed.value);
      },
    });
  }

  app.delete(
    SsfPath.streams,
    { preHandler: api.guard(Scope.manage) },
    async (request, reply) => {
      const record = await api.ownStream(
        request,
        reply,
        (request.query as Record<string, unknown>)["stream_id"],
      );
      if (!record) return reply;
      await store.delete(record.stream_id);
      return reply.code(204).send();
    },
  );
  done();
};
