import {
  HOLD_CLASSES,
  type HoldClass,
  type KillSwitchMessage,
} from "@warden/shared/kill-switch";

/** Event types (CAEP 1.0, RISC 1.0) that revoke or reinstate an agent at the gateway. */
const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
export const SSF_EVENT = {
  sessionRevoked: `${CAEP}/session-revoked`,
  credentialChange: `${CAEP}/credential-change`,
  accountDisabled: `${RISC}/account-disabled`,
  accountEnabled: `${RISC}/account-enabled`,
  assuranceLevelChange: `${CAEP}/assurance-level-change`,
  tokenClaimsChange: `${CAEP}/token-claims-change`,
  riskLevelChange: `${CAEP}/risk-level-change`,
} as const;

/** What the gateway tells a held caller (the revoker's own words for a step-up). */
export const HOLD_REASON =
  "Sensitive actions are held until the agent's owner approves them.";

type Claims = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Claims {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The tenant whose agent issuer `iss` is, if it is one (Warden: `<issuer>/tenants/<tenant>`). */
export type TenantOfIssuer = (iss: string) => string | undefined;

/** Reads the tenant from Warden's default agent issuers, `<transmitter issuer>/tenants/<tenant>`. */
export function wardenTenantOfIssuer(
  transmitterIssuer: string,
): TenantOfIssuer {
  const prefix = `${transmitterIssuer.replace(/\/+$/, "")}/tenants/`;
  return (iss) => {
    if (!iss.startsWith(prefix)) return undefined;
    const rest = iss.slice(prefix.length);
    if (rest === "" || rest.includes("/")) return undefined;
    try {
      return decodeURIComponent(rest);
    } catch {
      return undefined;
    }
  };
}

/**
 * The agent and tenant a SET's `sub_id` names (RFC 9493): `opaque` → `id`, `email` → the
 * address, `iss_sub` → `sub` (its tenant from its issuer), `complex` → its `user` (and its
 * `tenant`, when given as an opaque id).
 */
export function subjectOf(
  subId: unknown,
  tenantOfIssuer: TenantOfIssuer = () => undefined,
):
  | { readonly agentId: string; readonly tenant: string | undefined }
  | undefined {
  if (!isRecord(subId)) return undefined;
  switch (subId["format"]) {
    case "opaque": {
      const id = text(subId["id"]);
      return id === undefined ? undefined : { agentId: id, tenant: undefined };
    }
    case "email": {
      const email = text(subId["email"]);
      return email === undefined
        ? undefined
        : { agentId: email, tenant: undefined };
    }
    case "iss_sub": {
      const sub = text(subId["sub"]);
      const iss = text(subId["iss"]);
      return sub === undefined
        ? undefined
        : {
            agentId: sub,
            tenant: iss === undefined ? undefined : tenantOfIssuer(iss),
          };
    }
    case "complex": {
      const user = subjectOf(subId["user"], tenantOfIssuer);
      if (!user) return undefined;
      const tenant = isRecord(subId["tenant"])
        ? text(subId["tenant"]["id"])
        : undefined;
      return { agentId: user.agentId, tenant: tenant ?? user.tenant };
    }
    default:
      return undefined;
  }
}

export type SetOutcome =
  | { readonly kind: "change"; readonly message: KillSwitchMessage }
  /**
   * A step-up's hold lifted (risk-level-change LOW, or the step-up claim cleared): applies only
   * to a hold of the same transaction, which the receiver checks — never to a revoke.
   */
  | {
      readonly kind: "release";
      readonly tenant: string;
      readonly agentId: string;
      readonly decisionId: string;
      readonly issuedAt: string;
    }
  | { readonly kind: "ignored"; readonly why: string };

/** hold (a step-up), release (its end), or neither, from one event. */
function stepUpOf(type: string, event: Claims): "hold" | "release" | undefined {
  if (type === SSF_EVENT.assuranceLevelChange)
    return event["change_direction"] === "decrease" ? "hold" : undefined;
  if (type === SSF_EVENT.tokenClaimsChange && isRecord(event["claims"])) {
    const required = event["claims"]["warden_step_up_required"];
    return required === true
      ? "hold"
      : required === false
        ? "release"
        : undefined;
  }
  if (type === SSF_EVENT.riskLevelChange)
    return event["current_level"] === "LOW" ? "release" : undefined;
  return undefined;
}

/**
 * Turns the verified claims of one SET into a kill-switch message. Session revoked and
 * account disabled revoke the agent; a credential change of type `revoke` revokes the agent
 * and that credential, named by its label (`friendly_name`, never the id: the enforcer
 * matches a presented credential by its label too); account enabled
 * reinstates. A step-up (assurance-level-change decrease, or token-claims-change setting
 * `warden_step_up_required`) holds `holdActions` (issue 16: the push path enforces the hold
 * as the NATS path does); its release (risk-level-change LOW, or the claim cleared) is a
 * `release` outcome. Every other event (stream control) is left to other parts of the
 * gateway. Pure: the receiver merges credentials of one transaction (`txn`) itself.
 */
export function killSwitchFromSet(
  claims: Claims,
  defaultTenant: string,
  tenantOfIssuer?: TenantOfIssuer,
  holdActions: readonly HoldClass[] = HOLD_CLASSES,
): SetOutcome {
  const events = claims["events"];
  if (!isRecord(events)) return { kind: "ignored", why: "no events claim" };
  const [type, payload] = Object.entries(events)[0] ?? [];
  const event = isRecord(payload) ? payload : {};
  const subject = subjectOf(claims["sub_id"], tenantOfIssuer);
  if (type === undefined) return { kind: "ignored", why: "empty events claim" };
  const stepUp = stepUpOf(type, event);
  const action =
    type === SSF_EVENT.accountEnabled
      ? "reinstate"
      : type === SSF_EVENT.sessionRevoked ||
          type === SSF_EVENT.accountDisabled ||
          (type === SSF_EVENT.credentialChange &&
            event["change_type"] === "revoke")
        ? "revoke"
        : stepUp;
  if (action === undefined)
    return { kind: "ignored", why: `event ${type} does not revoke or hold` };
  if (!subject) return { kind: "ignored", why: "sub_id names no agent" };
  const iat = typeof claims["iat"] === "number" ? claims["iat"] : undefined;
  const decisionId = text(claims["txn"]) ?? text(claims["jti"]) ?? "unknown";
  const tenant = subject.tenant ?? defaultTenant;
  const issuedAt = new Date((iat ?? 0) * 1000).toISOString();
  if (action === "release")
    return {
      kind: "release",
      tenant,
      agentId: subject.agentId,
      decisionId,
      issuedAt,
    };
  if (action === "hold")
    return {
      kind: "change",
      message: {
        version: 1,
        action,
        tenant,
        agent_id: subject.agentId,
        credential_ids: [],
        decision_id: decisionId,
        reason: HOLD_REASON,
        issued_at: issuedAt,
        expires_at: null,
        // A SET does not carry the owner's deadline: the revoker escalates, the gateway waits.
        hold: { actions: [...holdActions], answer_by: "" },
      },
    };
  const credential =
    type === SSF_EVENT.credentialChange
      ? text(event["friendly_name"])
      : undefined;
  const reasonAdmin = isRecord(event["reason_admin"])
    ? text(event["reason_admin"]["en"])
    : undefined;
  return {
    kind: "change",
    message: {
      version: 1,
      action,
      tenant,
      agent_id: subject.agentId,
      credential_ids: credential === undefined ? [] : [credential],
      decision_id: decisionId,
      reason:
        reasonAdmin ??
        `${action === "revoke" ? "revoked" : "reinstated"} by ${String(claims["iss"])} (${type.split("/").at(-1) ?? type})`,
      issued_at: issuedAt,
      expires_at: null,
    },
  };
}
