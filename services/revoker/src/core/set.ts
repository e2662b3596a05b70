import { createHash } from "node:crypto";
import type { DecisionV1 } from "@warden/shared";

/** CAEP session-revoked (the only event type the skeleton sends). */
export const SESSION_REVOKED_EVENT =
  "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

/** The claims of one Security Event Token (RFC 8417, SSF 1.0): never `sub`, never `exp`. */
export interface RevocationSetClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly jti: string;
  readonly txn: string;
  readonly sub_id: { readonly format: "opaque"; readonly id: string };
  readonly events: {
    readonly [SESSION_REVOKED_EVENT]: {
      readonly event_timestamp: number;
      readonly initiating_entity: "policy";
      readonly reason_admin: { readonly en: string };
    };
  };
}

/** Deterministic per decision and audience, so a redelivered decision resends the same jti. */
export function revocationJti(decisionId: string, audience: string): string {
  return createHash("sha256")
    .update(`${decisionId}\u0000${audience}`)
    .digest("hex")
    .slice(0, 32);
}

/** Builds the claims of the session-revoked SET for one revoke decision. Pure. */
export function buildRevocationSet(
  decision: DecisionV1,
  options: {
    readonly issuer: string;
    readonly audience: string;
    readonly nowSeconds: number;
  },
): RevocationSetClaims {
  const atMs = Date.parse(decision.at);
  return {
    iss: options.issuer,
    aud: options.audience,
    iat: Math.floor(options.nowSeconds),
    jti: revocationJti(decision.decision_id, options.audience),
    txn: decision.decision_id,
    sub_id: { format: "opaque", id: decision.agent_id },
    events: {
      [SESSION_REVOKED_EVENT]: {
        event_timestamp: Number.isFinite(atMs)
          ? Math.floor(atMs / 1000)
          : Math.floor(options.nowSeconds),
        initiating_entity: "policy",
        reason_admin: {
          en: decision.reasons[0]?.summary ?? "revoked by policy",
        },
      },
    },
  };
}
