import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "@warden/shared";
import { SsfPath } from "../../core/metadata.js";
import { activityWriteDue } from "../../core/stream-health.js";
import { Scope, authenticate, type Receiver } from "../../core/receivers.js";
import {
  looksLikeJwt,
  type OAuthRefusal,
  type OAuthVerifier,
} from "../../oauth.js";
import {
  streamConfiguration,
  type DefaultSubjects,
  type StreamContext,
  type StreamRecord,
} from "../../core/stream.js";
import type { UrlPolicy } from "../../core/url-guard.js";
import { STREAM_ID_PATTERN } from "../../names.js";
import type { RotatingSigningKeys, SigningKeys } from "../../signing-key.js";
import type { Approvals } from "../approvals.js";
import type { DeadDecisions } from "../dead-decisions.js";
import type { StreamStore } from "../stream-store.js";
import type { Transmitter } from "../transmitter.js";

declare module "fastify" {
  interface FastifyRequest {
    receiver?: Receiver;
  }
}

export interface SsfApiOptions {
  readonly issuer: string;
  readonly receivers: readonly Receiver[];
  /** OAuth 2.0 JWT access tokens from a configured authorization server (static tokens still work). */
  readonly oauth?: OAuthVerifier | undefined;
  /** Told of every refused access token (counted by reason). */
  readonly oauthRefused?: ((reason: OAuthRefusal) => void) | undefined;
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
  /** SETs waiting in a stream's queue, for `GET /admin/streams` (-1 there when absent). */
  readonly queueDepth?: (
    streamId: string,
    kind: "events" | "control",
  ) => Promise<number>;
  /** Per-receiver bounds (REVOKER_MAX_STREAMS_PER_RECEIVER, REVOKER_MAX_SUBJECTS_PER_STREAM); none when absent. */
  readonly quotas?: {
    readonly maxStreamsPerReceiver: number;
    readonly maxSubjectsPerStream: number;
  };
  /** Told of every request a quota refused. */
  readonly onQuota?: (quota: "streams" | "subjects") => void;
  /** Enables `GET /admin/dead-decisions` and its re-drive (hosts with a decisions stream). */
  readonly deadDecisions?: DeadDecisions;
  /** Told how many dead decisions an operator re-drove. */
  readonly onRedriven?: (count: number) => void;
  /** Enables `GET /admin/keys` and `POST /admin/keys/rotate`. */
  readonly keyRing?: Pick<RotatingSigningKeys, "rotateNow" | "describe">;
  readonly logger: Logger;
}

/** What every route plugin of the SSF API shares: options, the guard, errors, the caller's stream. */
export interface SsfApiContext {
  readonly options: SsfApiOptions;
  readonly log: Logger;
  readonly intervalSeconds: number;
  readonly inactivityTimeoutMs: number;
  guard(
    scope: Scope,
  ): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  streamContext(receiver: Receiver): StreamContext;
  /** The caller's stream named by `stream_id`, or undefined with the answer already sent. */
  ownStream(
    request: FastifyRequest,
    reply: FastifyReply,
    streamId: unknown,
  ): Promise<StreamRecord | undefined>;
  show(record: StreamRecord): ReturnType<typeof streamConfiguration>;
}

/** The SSF error shape (`err`, `description`), used by every route. */
export const sendError = (
  reply: FastifyReply,
  status: number,
  err: string,
  description: string,
): FastifyReply => reply.code(status).send({ err, description });

export const bodyOf = (request: FastifyRequest): Record<string, unknown> =>
  typeof request.body === "object" && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};

export function createSsfApiContext(options: SsfApiOptions): SsfApiContext {
  const { store } = options;
  const origin = new URL(options.issuer).origin;
  const intervalSeconds = Math.round(options.minVerificationIntervalMs / 1000);
  const inactivityTimeoutMs = options.inactivityTimeoutMs ?? 0;

  /** An OAuth access token's receiver (RFC 9068), when an authorization server is configured. */
  async function oauthReceiver(
    authorization: string | undefined,
  ): Promise<Receiver | undefined> {
    const token = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? "")?.[1];
    // Not JWT-shaped: a wrong static token, not an access token.
    if (!options.oauth || token === undefined || !looksLikeJwt(token))
      return undefined;
    const outcome = await options.oauth.verify(token, options.receivers);
    if (outcome.ok) return outcome.receiver;
    options.oauthRefused?.(outcome.reason);
    options.logger.debug({ why: outcome.why }, "access token refused");
    return undefined;
  }

  function guard(scope: Scope) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      // Tokens in the query string end up in logs and proxies: refused outright.
      if (
        typeof (request.query as Record<string, unknown> | undefined)?.[
          "access_token"
        ] === "string"
      )
        return sendError(
          reply,
          400,
          "invalid_request",
          "send the token in the Authorization header",
        );
      const staticReceiver = authenticate(
        request.headers.authorization,
        options.receivers,
      );
      const receiver =
        staticReceiver ?? (await oauthReceiver(request.headers.authorization));
      if (!receiver) {
        reply.header(
          "www-authenticate",
          options.oauth && request.headers.authorization
            ? 'Bearer realm="warden", error="invalid_token"'
            : 'Bearer realm="warden"',
        );
        return sendError(
          reply,
          401,
          "authentication_failed",
          "a valid bearer token is required",
        );
      }
      const read =
        scope === Scope.read && receiver.scopes.includes(Scope.manage);
      if (!receiver.scopes.includes(scope) && !read) {
        if (!staticReceiver) options.oauthRefused?.("insufficient_scope");
        reply.header(
          "www-authenticate",
          `Bearer realm="warden", error="insufficient_scope", scope="${scope}"`,
        );
        return sendError(
          reply,
          403,
          "access_denied",
          `scope ${scope} is required`,
        );
      }
      request.receiver = receiver;
      return undefined;
    };
  }

  async function ownStream(
    request: FastifyRequest,
    reply: FastifyReply,
    streamId: unknown,
  ): Promise<StreamRecord | undefined> {
    if (typeof streamId !== "string" || !STREAM_ID_PATTERN.test(streamId)) {
      await sendError(reply, 400, "invalid_request", "stream_id is required");
      return undefined;
    }
    const record = await store.get(streamId);
    // Another receiver's stream is answered exactly like a missing one.
    if (!record || record.owner !== request.receiver?.id) {
      await sendError(reply, 404, "not_found", "no such stream");
      return undefined;
    }
    // A stream stored before tenancy covers no agent until it learns its owner's tenant.
    if (record.tenant === undefined && request.receiver) {
      const scoped = { ...record, tenant: request.receiver.tenant };
      await store.put(scoped);
      return scoped;
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

  return {
    options,
    log: options.logger.child({ component: "ssf-api" }),
    intervalSeconds,
    inactivityTimeoutMs,
    guard,
    streamContext: (receiver) => ({
      issuer: options.issuer,
      audience: receiver.audience,
      owner: receiver.id,
      tenant: receiver.tenant,
      minVerificationIntervalSeconds: intervalSeconds,
      inactivityTimeoutSeconds: Math.round(inactivityTimeoutMs / 1000),
      nowIso: new Date().toISOString(),
      pollUrl: (id) => `${origin}${SsfPath.poll}/${id}`,
    }),
    ownStream,
    show: (record) =>
      streamConfiguration(
        record,
        intervalSeconds,
        Math.round(inactivityTimeoutMs / 1000),
      ),
  };
}
