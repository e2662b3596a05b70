import { randomBytes, randomUUID } from "node:crypto";
import {
  fastify,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { describeError, type Logger } from "@warden/shared";
import { manualAction } from "../core/action.js";
import {
  SsfPath,
  metadataPath,
  transmitterMetadata,
} from "../core/metadata.js";
import { readPollRequest } from "../core/poll.js";
import { activityWriteDue } from "../core/stream-health.js";
import { Scope, authenticate, type Receiver } from "../core/receivers.js";
import {
  DeliveryMethod,
  addSubject,
  changeStream,
  createStream,
  readStatusUpdate,
  readSubjectRequest,
  removeSubject,
  streamConfiguration,
  type DefaultSubjects,
  type StreamContext,
  type StreamRecord,
} from "../core/stream.js";
import { checkReceiverUrl, type UrlPolicy } from "../core/url-guard.js";
import { STREAM_ID_PATTERN } from "../names.js";
import type { RotatingSigningKeys, SigningKeys } from "../signing-key.js";
import type { Approvals } from "./approvals.js";
import type { StreamStore } from "./stream-store.js";
import type { Transmitter } from "./transmitter.js";

export const API_BODY_LIMIT_BYTES = 64 * 1024;

declare module "fastify" {
  interface FastifyRequest {
    receiver?: Receiver;
  }
}

/**
 * The SSF 1.0 transmitter API: metadata and JWKS (public), stream management, status,
 * subjects and verification (bearer token of a configured receiver, which sees only its own
 * streams), RFC 8936 polling, and Warden's manual revoke / reinstate (scope warden.admin).
 */
export function buildSsfApi(options: {
  readonly issuer: string;
  readonly receivers: readonly Receiver[];
  readonly defaultSubjects: DefaultSubjects;
  readonly urlPolicy: UrlPolicy;
  readonly minVerificationIntervalMs: number;
  readonly pollWaitMs: number;
  /** SSF `inactivity_timeout` (0: none): advertised per stream, activity written down. */
  readonly inactivityTimeoutMs?: number;
  readonly store: StreamStore;
  readonly keys: SigningKeys;
  readonly transmitter: Transmitter;
  readonly approvals: Approvals;
  /** Enables `GET /admin/keys` and `POST /admin/keys/rotate`. */
  readonly keyRing?: Pick<RotatingSigningKeys, "rotateNow" | "describe">;
  readonly logger: Logger;
}): FastifyInstance {
  const { store, transmitter } = options;
  const log = options.logger.child({ component: "ssf-api" });
  const origin = new URL(options.issuer).origin;
  const intervalSeconds = Math.round(options.minVerificationIntervalMs / 1000);
  const inactivityTimeoutMs = options.inactivityTimeoutMs ?? 0;
  const lastVerification = new Map<string, number>();
  const app = fastify({ logger: false, bodyLimit: API_BODY_LIMIT_BYTES });

  const error = (
    reply: FastifyReply,
    status: number,
    err: string,
    description: string,
  ) => reply.code(status).send({ err, description });

  function guard(scope: Scope) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      // Tokens in the query string end up in logs and proxies: refused outright.
      if (
        typeof (request.query as Record<string, unknown> | undefined)?.[
          "access_token"
        ] === "string"
      )
        return error(
          reply,
          400,
          "invalid_request",
          "send the token in the Authorization header",
        );
      const receiver = authenticate(
        request.headers.authorization,
        options.receivers,
      );
      if (!receiver) {
        reply.header("www-authenticate", 'Bearer realm="warden"');
        return error(
          reply,
          401,
          "authentication_failed",
          "a valid bearer token is required",
        );
      }
      const read =
        scope === Scope.read && receiver.scopes.includes(Scope.manage);
      if (!receiver.scopes.includes(scope) && !read) {
        reply.header(
          "www-authenticate",
          `Bearer realm="warden", error="insufficient_scope", scope="${scope}"`,
        );
        return error(reply, 403, "access_denied", `scope ${scope} is required`);
      }
      request.receiver = receiver;
    };
  }

  function context(receiver: Receiver): StreamContext {
    return {
      issuer: options.issuer,
      audience: receiver.audience,
      owner: receiver.id,
      minVerificationIntervalSeconds: intervalSeconds,
      nowIso: new Date().toISOString(),
      pollUrl: (id) => `${origin}${SsfPath.poll}/${id}`,
    };
  }

  /** The caller's stream named by `stream_id`, or an answer already sent. */
  async function ownStream(
    request: FastifyRequest,
    reply: FastifyReply,
    streamId: unknown,
  ): Promise<StreamRecord | undefined> {
    if (typeof streamId !== "string" || !STREAM_ID_PATTERN.test(streamId)) {
      await error(reply, 400, "invalid_request", "stream_id is required");
      return undefined;
    }
    const record = await store.get(streamId);
    // Another receiver's stream is answered exactly like a missing one.
    if (!record || record.owner !== request.receiver?.id) {
      await error(reply, 404, "not_found", "no such stream");
      return undefined;
    }
    // SSF 1.0 §8.1.1: any management call naming the stream (and a poll) is receiver activity.
    const nowMs = Date.now();
    const last = Date.parse(record.last_activity_at ?? "");
    if (
      !activityWriteDue(
        Number.isNaN(last) ? undefined : last,
        nowMs,
        inactivityTimeoutMs,
      )
    )
      return record;
    const touched = {
      ...record,
      last_activity_at: new Date(nowMs).toISOString(),
    };
    await store.put(touched);
    return touched;
  }

  function pushUrlRefused(record: StreamRecord): string | undefined {
    if (record.delivery.method !== DeliveryMethod.push) return undefined;
    const check = checkReceiverUrl(
      record.delivery.endpoint_url,
      options.urlPolicy,
    );
    return check.ok
      ? undefined
      : `delivery.endpoint_url refused: ${check.reason}`;
  }

  const bodyOf = (request: FastifyRequest): Record<string, unknown> =>
    typeof request.body === "object" && request.body !== null
      ? (request.body as Record<string, unknown>)
      : {};
  const show = (record: StreamRecord) =>
    streamConfiguration(
      record,
      intervalSeconds,
      Math.round(inactivityTimeoutMs / 1000),
    );

  app.get(metadataPath(options.issuer), () =>
    transmitterMetadata(options.issuer, options.defaultSubjects),
  );
  app.get(SsfPath.jwks, (_request, reply) =>
    reply
      .header("cache-control", "max-age=300")
      .send(options.keys.publicJwks()),
  );

  app.post(
    SsfPath.streams,
    { preHandler: guard(Scope.manage) },
    async (request, reply) => {
      const receiver = request.receiver as Receiver;
      const created = createStream(
        request.body,
        randomBytes(16).toString("hex"),
        context(receiver),
      );
      if (!created.ok)
        return error(reply, 400, created.err, created.description);
      const refused = pushUrlRefused(created.value);
      if (refused) return error(reply, 400, "invalid_request", refused);
      await transmitter.prepare(created.value);
      await store.put(created.value);
      log.info(
        { stream_id: created.value.stream_id, receiver: receiver.id },
        "stream created",
      );
      return reply.code(201).send(show(created.value));
    },
  );

  app.get(
    SsfPath.streams,
    { preHandler: guard(Scope.read) },
    async (request, reply) => {
      const streamId = (request.query as Record<string, unknown>)["stream_id"];
      if (streamId === undefined)
        return store
          .cached()
          .filter((record) => record.owner === request.receiver?.id)
          .map(show);
      const record = await ownStream(request, reply, streamId);
      return record ? show(record) : reply;
    },
  );

  for (const [method, partial] of [
    ["PATCH", true],
    ["PUT", false],
  ] as const) {
    app.route({
      method,
      url: SsfPath.streams,
      preHandler: guard(Scope.manage),
      handler: async (request, reply) => {
        const record = await ownStream(
          request,
          reply,
          bodyOf(request)["stream_id"],
        );
        if (!record) return reply;
        const changed = changeStream(
          record,
          bodyOf(request),
          context(request.receiver as Receiver),
          partial,
        );
        if (!changed.ok)
          return error(reply, 400, changed.err, changed.description);
        const refused = pushUrlRefused(changed.value);
        if (refused) return error(reply, 400, "invalid_request", refused);
        await transmitter.prepare(changed.value);
        await store.put(changed.value);
        return show(changed.value);
      },
    });
  }

  app.delete(
    SsfPath.streams,
    { preHandler: guard(Scope.manage) },
    async (request, reply) => {
      const record = await ownStream(
        request,
        reply,
        (request.query as Record<string, unknown>)["stream_id"],
      );
      if (!record) return reply;
      await store.delete(record.stream_id);
      return reply.code(204).send();
    },
  );

  app.get(
    SsfPath.status,
    { preHandler: guard(Scope.read) },
    async (request, reply) => {
      const record = await ownStream(
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
    { preHandler: guard(Scope.manage) },
    async (request, reply) => {
      const record = await ownStream(
        request,
        reply,
        bodyOf(request)["stream_id"],
      );
      if (!record) return reply;
      const update = readStatusUpdate(request.body);
      if (!update.ok) return error(reply, 400, update.err, update.description);
      const updated = await transmitter.setStatus(
        record,
        update.value.status,
        update.value.reason,
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
      { preHandler: guard(Scope.manage) },
      async (request, reply) => {
        const record = await ownStream(
          request,
          reply,
          bodyOf(request)["stream_id"],
        );
        if (!record) return reply;
        const subject = readSubjectRequest(request.body);
        if (!subject.ok)
          return error(reply, 400, subject.err, subject.description);
        await store.put(apply(record, subject.value, new Date().toISOString()));
        return reply.code(status).send();
      },
    );
  }

  app.post(
    SsfPath.verify,
    { preHandler: guard(Scope.manage) },
    async (request, reply) => {
      const record = await ownStream(
        request,
        reply,
        bodyOf(request)["stream_id"],
      );
      if (!record) return reply;
      const state = bodyOf(request)["state"];
      if (state !== undefined && typeof state !== "string")
        return error(reply, 400, "invalid_request", "state must be a string");
      const last =
        lastVerification.get(record.stream_id) ?? Number.NEGATIVE_INFINITY;
      if (Date.now() - last < options.minVerificationIntervalMs) {
        reply.header(
          "retry-after",
          String(
            Math.ceil(
              (last + options.minVerificationIntervalMs - Date.now()) / 1000,
            ),
          ),
        );
        return error(
          reply,
          429,
          "too_many_requests",
          `at most one verification per ${intervalSeconds} s`,
        );
      }
      lastVerification.set(record.stream_id, Date.now());
      await transmitter.verify(record, state);
      return reply.code(204).send();
    },
  );

  app.post(
    `${SsfPath.poll}/:stream_id`,
    { preHandler: guard(Scope.read) },
    async (request, reply) => {
      const record = await ownStream(
        request,
        reply,
        (request.params as Record<string, unknown>)["stream_id"],
      );
      if (!record) return reply;
      if (record.delivery.method !== DeliveryMethod.poll)
        return error(
          reply,
          400,
          "invalid_request",
          "this stream is delivered by push",
        );
      const parsed = readPollRequest(request.body);
      if (!parsed.ok)
        return error(reply, 400, "invalid_request", parsed.description);
      return transmitter.poll(record, parsed.request, options.pollWaitMs);
    },
  );

  for (const kind of ["revoke", "reinstate"] as const) {
    app.post(
      `/admin/${kind}`,
      { preHandler: guard(Scope.admin) },
      async (request, reply) => {
        const body = bodyOf(request);
        const { tenant, agent_id: agentId, reason } = body;
        const credentialIds = body["credential_ids"] ?? [];
        if (
          typeof tenant !== "string" ||
          typeof agentId !== "string" ||
          typeof reason !== "string" ||
          reason === ""
        )
          return error(
            reply,
            400,
            "invalid_request",
            "tenant, agent_id and a non-empty reason are required",
          );
        if (
          !Array.isArray(credentialIds) ||
          !credentialIds.every((id) => typeof id === "string")
        )
          return error(
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
        await transmitter.handleAction(action);
        return reply.code(202).send({ txn: action.id });
      },
    );
  }

  app.get("/admin/approvals", { preHandler: guard(Scope.admin) }, async () =>
    (await options.approvals.list()).map((pending) => ({
      decision_id: pending.action.id,
      tenant: pending.action.tenant,
      agent_id: pending.action.agentId,
      reason: pending.action.reasonAdmin,
      requested_at: new Date(pending.requested_at_ms).toISOString(),
      deadline: new Date(pending.deadline_ms).toISOString(),
    })),
  );
  for (const verdict of ["approve", "deny"] as const) {
    app.post(
      `/admin/approvals/:decision_id/${verdict}`,
      { preHandler: guard(Scope.admin) },
      async (request, reply) => {
        const decisionId = String(
          (request.params as Record<string, unknown>)["decision_id"],
        );
        const done = await options.approvals.decide(
          decisionId,
          verdict,
          request.receiver?.id ?? "?",
        );
        if (!done)
          return error(
            reply,
            404,
            "not_found",
            "no pending approval for that decision",
          );
        return { decision_id: decisionId, verdict };
      },
    );
  }

  const { keyRing } = options;
  if (keyRing) {
    app.get("/admin/keys", { preHandler: guard(Scope.admin) }, () => {
      const keys = keyRing.describe();
      return { active_kid: keys[0]?.kid, keys };
    });
    app.post(
      "/admin/keys/rotate",
      { preHandler: guard(Scope.admin) },
      async (request) => {
        const rotated = await keyRing.rotateNow();
        // The audit trail of key changes: who, which kids (never key material).
        log.info(
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
      },
    );
  }

  app.setErrorHandler((failure, _request, reply) => {
    const status = (failure as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return error(
        reply,
        status,
        "invalid_request",
        (failure as Error).message,
      );
    log.error({ error: describeError(failure) }, "SSF API request failed");
    return error(reply, 500, "server_error", "internal error");
  });
  return app;
}
