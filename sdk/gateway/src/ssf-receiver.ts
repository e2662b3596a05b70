import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { pino, type Logger } from "pino";
import {
  createSsfReceiverMetrics,
  Registry,
  type SsfRefusalReason,
} from "./metrics.js";
import type { HoldClass, KillSwitchMessage } from "@warden/shared/kill-switch";
import { describeError } from "@warden/shared/errors";
import { DEFAULT_TENANT } from "./enforcer.js";
import {
  killSwitchFromSet,
  wardenTenantOfIssuer,
  type TenantOfIssuer,
} from "./ssf-events.js";

export const SET_CONTENT_TYPE = "application/secevent+jwt";
/** Remembered per agent to merge one transaction's credential events; oldest forgotten first. */
const MAX_REMEMBERED_AGENTS = 10_000;
/** What Warden's revoker signs with (REVOKER_SIGNING_ALG). */
export const DEFAULT_SET_ALGORITHMS = ["RS256", "ES256"] as const;
/**
 * A SET older than this is refused, and each jti is remembered this long: a replayed SET is
 * never applied twice. It matches the revoker's REVOKER_DEAD_LETTER_AFTER (24 h), after which
 * the transmitter stops retrying anyway.
 */
export const DEFAULT_REPLAY_WINDOW_MS = 24 * 3_600_000;
/** jtis remembered at most; when all are still inside the window, new SETs get 503 (retried). */
export const DEFAULT_MAX_REMEMBERED_JTIS = 100_000;
/** How far a SET's `iat` may run ahead of this clock. */
const CLOCK_SKEW_MS = 5 * 60_000;
// Symmetric and unsigned JWS algorithms: a key the receiver can verify with could forge (HS*),
// or nothing is verified at all (none).
const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i;

export interface SsfPushReceiverOptions {
  /** `iss` the SETs must carry: Warden's revoker (REVOKER_ISSUER). */
  readonly issuer: string;
  /** `aud` the SETs must carry: this receiver's push URL unless the stream says otherwise. */
  readonly audience: string;
  /** The transmitter's keys, e.g. `${issuer}/jwks.json`. */
  readonly jwksUrl: string;
  /** The Authorization header the transmitter sends (REVOKER_PUSH_AUTHORIZATION); never logged. */
  readonly authorization?: string;
  /** Tenant of subjects that do not name one (opaque, email). Default "default". */
  readonly tenant?: string;
  /**
   * The tenant an iss_sub subject's issuer stands for. Default: Warden's own agent issuers,
   * `<issuer>/tenants/<tenant>`; give this when REVOKER_SUBJECT_ISSUER or a tenant's own
   * issuer (REVOKER_TENANT_SUBJECT_ISSUERS) is configured.
   */
  readonly tenantOfIssuer?: TenantOfIssuer;
  /** Where changes go: usually `enforcer.apply`. */
  readonly apply: (message: KillSwitchMessage) => void;
  /** JWS algorithms accepted (default RS256, ES256); `none` and HS* are refused at creation. */
  readonly algorithms?: readonly string[];
  /** How old a SET may be, and how long its jti is remembered (default 24 h). */
  readonly replayWindowMs?: number;
  /** jtis remembered at most (default 100,000). */
  readonly maxRememberedJtis?: number;
  /** What a step-up holds (default every hold class; the revoker's REVOKER_HOLD_ACTIONS). */
  readonly holdActions?: readonly HoldClass[];
  readonly logger?: Logger;
  /** Where `warden_gateway_ssf_sets_refused_total` goes: the gateway's `/metrics` registry. */
  readonly registry?: Registry;
}

export interface SsfPushRequest {
  readonly body: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
}

/** RFC 8935 section 2: 202 when taken; 400 with an error code the transmitter will not retry; 503 to be retried. */
export type SsfPushAnswer =
  | { readonly status: 202 }
  | {
      readonly status: 400 | 503;
      readonly body: { readonly err: string; readonly description: string };
    };

export interface SsfPushReceiver {
  receive(request: SsfPushRequest): Promise<SsfPushAnswer>;
}

const digest = (value: string): Buffer =>
  createHash("sha256").update(value).digest();

function refusal(
  err: string,
  description: string,
  status: 400 | 503 = 400,
): SsfPushAnswer {
  return { status, body: { err, description } };
}

// RFC 8935 section 2.4's error codes for what went wrong while verifying the SET.
function verificationRefusal(error: unknown): SsfPushAnswer {
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return refusal("invalid_issuer", error.message);
    if (error.claim === "aud")
      return refusal("invalid_audience", error.message);
    return refusal("invalid_request", error.message);
  }
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JWSSignatureVerificationFailed
  )
    return refusal("invalid_key", describeError(error));
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid
  )
    return refusal("temporarily_unavailable", describeError(error), 503);
  if (error instanceof errors.JOSEError)
    return refusal("invalid_request", describeError(error));
  // Fetching the transmitter's keys failed: worth the transmitter's retry.
  return refusal("temporarily_unavailable", describeError(error), 503);
}

/**
 * An SSF push receiver (RFC 8935) for Warden's SETs, framework-free: mount `receive` on a
 * POST route. It verifies each SET (signature against the transmitter's JWKS, `iss`, `aud`,
 * `typ: secevent+jwt`) and turns the agent events into kill-switch changes.
 */
export function createSsfPushReceiver(
  options: SsfPushReceiverOptions,
): SsfPushReceiver {
  const algorithms = [...(options.algorithms ?? DEFAULT_SET_ALGORITHMS)];
  const refused = algorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg));
  if (algorithms.length === 0 || refused.length > 0)
    throw new Error(
      `algorithms: asymmetric JWS algorithms only (e.g. RS256, ES256), got ${JSON.stringify(algorithms)}`,
    );
  const windowMs = options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const replays = createReplayGuard(
    windowMs,
    options.maxRememberedJtis ?? DEFAULT_MAX_REMEMBERED_JTIS,
  );
  const keys = createRemoteJWKSet(new URL(options.jwksUrl));
  const tenant = options.tenant ?? DEFAULT_TENANT;
  const tenantOfIssuer =
    options.tenantOfIssuer ?? wardenTenantOfIssuer(options.issuer);
  const expected =
    options.authorization === undefined
      ? undefined
      : digest(options.authorization);
  const log = (options.logger ?? pino({ level: "info" })).child({
    component: "warden-ssf-receiver",
  });
  const lastByAgent = new Map<string, KillSwitchMessage>();
  const refusedBy = createSsfReceiverMetrics(
    options.registry ?? new Registry(),
  ).refused;

  // Warden sends one SET per event: session-revoked, then a credential-change per credential,
  // under one `txn`. Merged, they make one revocation holding every credential.
  function merged(message: KillSwitchMessage): KillSwitchMessage {
    const key = `${message.tenant}\u0000${message.agent_id}`;
    const previous = lastByAgent.get(key);
    const result =
      previous &&
      previous.action === "revoke" &&
      message.action === "revoke" &&
      previous.decision_id === message.decision_id
        ? {
            ...message,
            issued_at: previous.issued_at,
            reason: previous.reason,
            credential_ids: [
              ...new Set([
                ...previous.credential_ids,
                ...message.credential_ids,
              ]),
            ],
          }
        : message;
    lastByAgent.delete(key);
    lastByAgent.set(key, result);
    if (lastByAgent.size > MAX_REMEMBERED_AGENTS) {
      const oldest = lastByAgent.keys().next().value;
      if (oldest !== undefined) lastByAgent.delete(oldest);
    }
    return result;
  }

  return {
    async receive(request) {
      const envelope = refusedEnvelope(request, expected);
      if (envelope) {
        refusedBy[envelope.reason].inc();
        return envelope.answer;
      }
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(request.body.trim(), keys, {
          issuer: options.issuer,
          audience: options.audience,
          typ: "secevent+jwt",
          algorithms,
        }));
      } catch (error) {
        const answer = verificationRefusal(error);
        refusedBy.unverified.inc();
        log.warn(
          { error: describeError(error), status: answer.status },
          "SET refused",
        );
        return answer;
      }
      const stale = refusedAsStale(claims, Date.now(), windowMs, replays);
      if (stale) {
        refusedBy[stale.reason].inc();
        log.warn(
          { jti: claims["jti"], reason: stale.reason },
          "SET not applied",
        );
        return stale.answer;
      }
      const outcome = killSwitchFromSet(
        claims,
        tenant,
        tenantOfIssuer,
        options.holdActions,
      );
      if (outcome.kind === "release") {
        const key = `${outcome.tenant}\u0000${outcome.agentId}`;
        const last = lastByAgent.get(key);
        // Only the hold of this very step-up is lifted: never a revoke, never another hold.
        if (last?.action !== "hold" || last.decision_id !== outcome.decisionId)
          return { status: 202 };
        const { hold: _lifted, ...held } = last;
        const reinstate: KillSwitchMessage = {
          ...held,
          action: "reinstate",
          issued_at: outcome.issuedAt,
          reason: "step-up approved",
        };
        lastByAgent.set(key, reinstate);
        options.apply(reinstate);
        log.info(
          { jti: claims["jti"], agent_id: outcome.agentId },
          "SET applied: hold released",
        );
        return { status: 202 };
      }
      if (outcome.kind === "change" && outcome.message.action === "hold") {
        const last = lastByAgent.get(
          `${outcome.message.tenant}\u0000${outcome.message.agent_id}`,
        );
        // A step-up after a revoke (the revoker sends its SETs either way) must not let
        // ordinary calls through again.
        if (last?.action === "revoke") return { status: 202 };
      }
      if (outcome.kind === "ignored") {
        log.debug(
          { jti: claims["jti"], why: outcome.why },
          "SET taken, nothing to enforce",
        );
        return { status: 202 };
      }
      const message = merged(outcome.message);
      options.apply(message);
      log.info(
        {
          jti: claims["jti"],
          action: message.action,
          agent_id: message.agent_id,
          decision_id: message.decision_id,
        },
        "SET applied",
      );
      return { status: 202 };
    },
  };
}

interface Refusal {
  readonly reason: SsfRefusalReason;
  readonly answer: SsfPushAnswer;
}

/** The push request's Authorization and content type, before any byte of the SET is read. */
function refusedEnvelope(
  request: SsfPushRequest,
  expected: Buffer | undefined,
): Refusal | undefined {
  if (
    expected &&
    !timingSafeEqual(digest(request.authorization ?? ""), expected)
  )
    return {
      reason: "unauthenticated",
      answer: refusal(
        "authentication_failed",
        "wrong or missing Authorization header",
      ),
    };
  if (request.contentType?.split(";")[0]?.trim() !== SET_CONTENT_TYPE)
    return {
      reason: "content_type",
      answer: refusal(
        "invalid_request",
        `content-type must be ${SET_CONTENT_TYPE}`,
      ),
    };
  return undefined;
}

/**
 * A verified SET's age and jti. A SET carries no exp (RFC 8417): its age is judged on iat,
 * here rather than by jose, whose clock tolerance would stretch the window too. A replay is
 * answered 202 so the transmitter neither retries nor dead-letters it, but is not applied.
 */
function refusedAsStale(
  claims: Record<string, unknown>,
  nowMs: number,
  windowMs: number,
  replays: ReturnType<typeof createReplayGuard>,
): Refusal | undefined {
  const iat = claims["iat"];
  const future = typeof iat === "number" && iat * 1000 - nowMs > CLOCK_SKEW_MS;
  if (typeof iat !== "number" || nowMs - iat * 1000 > windowMs || future)
    return {
      reason: future ? "future" : "stale",
      answer: refusal(
        "invalid_request",
        "iat is missing, older than the replay window or in the future",
      ),
    };
  const seen = replays.check(claims["jti"], nowMs);
  if (seen === "missing")
    return {
      reason: "no_jti",
      answer: refusal("invalid_request", "a SET needs a jti (RFC 8417)"),
    };
  if (seen === "full")
    return {
      reason: "replay_memory_full",
      answer: refusal(
        "temporarily_unavailable",
        "too many SETs inside the replay window; retry later",
        503,
      ),
    };
  if (seen === "replayed")
    return { reason: "replayed", answer: { status: 202 } };
  return undefined;
}

/**
 * The jtis taken inside the replay window, oldest first (a Map keeps insertion order, and
 * arrival order is time order), so expired ones are dropped from the front. Bounded: when
 * every remembered jti is still inside the window, the answer is "full".
 */
function createReplayGuard(windowMs: number, max: number) {
  const seenAt = new Map<string, number>();
  return {
    check(
      jti: unknown,
      nowMs: number,
    ): "new" | "replayed" | "missing" | "full" {
      for (const [oldest, atMs] of seenAt) {
        if (nowMs - atMs <= windowMs) break;
        seenAt.delete(oldest);
      }
      // A SET without a jti cannot be told from its replay (RFC 8417 requires one).
      if (typeof jti !== "string" || jti === "") return "missing";
      const id = jti;
      if (seenAt.has(id)) return "replayed";
      if (seenAt.size >= max) return "full";
      seenAt.set(id, nowMs);
      return "new";
    },
  };
}
