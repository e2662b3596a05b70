import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { pino, type Logger } from "pino";
import type { KillSwitchMessage } from "@warden/shared/kill-switch";
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
  readonly logger?: Logger;
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
      if (expected) {
        const given = digest(request.authorization ?? "");
        if (!timingSafeEqual(given, expected))
          return refusal(
            "authentication_failed",
            "wrong or missing Authorization header",
          );
      }
      if (request.contentType?.split(";")[0]?.trim() !== SET_CONTENT_TYPE)
        return refusal(
          "invalid_request",
          `content-type must be ${SET_CONTENT_TYPE}`,
        );
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(request.body.trim(), keys, {
          issuer: options.issuer,
          audience: options.audience,
          typ: "secevent+jwt",
        }));
      } catch (error) {
        const answer = verificationRefusal(error);
        log.warn(
          { error: describeError(error), status: answer.status },
          "SET refused",
        );
        return answer;
      }
      const outcome = killSwitchFromSet(claims, tenant, tenantOfIssuer);
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
