import type { AuditEventV1 } from "@warden/shared";
import { clip, quote } from "./mapper.js";

/**
 * CloudTrail `userIdentity` → the agent Warden watches and revokes. The agent is the
 * stable principal (the IAM user, the role — not one session of it), so a role's sessions
 * share one baseline; the session name becomes the instance. Record shape: AWS CloudTrail
 * User Guide, "CloudTrail userIdentity element".
 */
export interface CloudTrailPrincipal {
  readonly agent: AuditEventV1["agent"];
  readonly identityType: string;
  readonly accountId?: string;
  readonly onBehalfOf?: string;
  readonly sessionId?: string;
}

export type PrincipalOrProblem =
  | { readonly ok: true; readonly principal: CloudTrailPrincipal }
  | { readonly ok: false; readonly detail: string };

type Json = Record<string, unknown>;

const MAX_ID = 256;

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== ""
    ? value.trim()
    : undefined;
}

export function obj(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function problem(detail: string): PrincipalOrProblem {
  return { ok: false, detail };
}

function principal(
  identityType: string,
  agent: AuditEventV1["agent"],
  extra: Omit<CloudTrailPrincipal, "agent" | "identityType"> = {},
): PrincipalOrProblem {
  if (agent.id.length > MAX_ID)
    return problem(
      `/userIdentity resolves to an agent id longer than ${MAX_ID}`,
    );
  const clipped = agent.instance
    ? { ...agent, instance: clip(agent.instance, MAX_ID) }
    : agent;
  return { ok: true, principal: { identityType, agent: clipped, ...extra } };
}

function withAccount(accountId: string | undefined) {
  return accountId ? { accountId } : {};
}

function assumedRole(
  identity: Json,
  accountId: string | undefined,
): PrincipalOrProblem {
  const context = obj(identity["sessionContext"]);
  const issuer = obj(context?.["sessionIssuer"]);
  const roleArn = str(issuer?.["arn"]);
  const sessionArn = str(identity["arn"]);
  // arn:aws:sts::<account>:assumed-role/<role>/<session>
  const sessionName = sessionArn?.split("/").slice(2).join("/") || undefined;
  const id = roleArn ?? sessionArn?.split("/").slice(0, 2).join("/");
  if (!id)
    return problem(
      "/userIdentity AssumedRole has neither sessionContext.sessionIssuer.arn nor arn",
    );
  const onBehalfOf = str(obj(identity["onBehalfOf"])?.["userId"]);
  return principal(
    "AssumedRole",
    {
      id,
      kind: "aws-role",
      ...(sessionName ? { instance: sessionName } : {}),
    },
    {
      ...withAccount(accountId),
      ...(onBehalfOf ? { onBehalfOf: clip(onBehalfOf, MAX_ID) } : {}),
      ...(sessionArn ? { sessionId: clip(sessionArn, MAX_ID) } : {}),
    },
  );
}

/**
 * Every `userIdentity.type` AWS documents. An identity without an ARN is named by what the
 * record does carry (the service, the account, the IdP user), prefixed by its kind.
 */
export function cloudTrailPrincipal(identity: unknown): PrincipalOrProblem {
  const id = obj(identity);
  if (!id) return problem("/userIdentity is missing or not an object");
  const type = str(id["type"]);
  const arn = str(id["arn"]);
  const accountId = str(id["accountId"]);
  switch (type) {
    case "IAMUser":
      if (!arn) return problem("/userIdentity IAMUser has no arn");
      return principal(
        type,
        { id: arn, kind: "aws-iam-user" },
        withAccount(accountId),
      );
    case "Root":
      return principal(
        type,
        {
          id: arn ?? `arn:aws:iam::${accountId ?? "unknown"}:root`,
          kind: "aws-root",
        },
        withAccount(accountId),
      );
    case "AssumedRole":
      return assumedRole(id, accountId);
    case "FederatedUser": {
      if (!arn) return problem("/userIdentity FederatedUser has no arn");
      const issuer = str(
        obj(obj(id["sessionContext"])?.["sessionIssuer"])?.["arn"],
      );
      return principal(
        type,
        { id: arn, kind: "aws-federated-user" },
        {
          ...withAccount(accountId),
          ...(issuer ? { onBehalfOf: issuer } : {}),
        },
      );
    }
    case "AWSService": {
      const service = str(id["invokedBy"]);
      if (!service) return problem("/userIdentity AWSService has no invokedBy");
      return principal(type, {
        id: `aws-service:${service}`,
        kind: "aws-service",
      });
    }
    case "AWSAccount": {
      const account = accountId ?? str(id["principalId"]);
      if (!account) return problem("/userIdentity AWSAccount has no accountId");
      return principal(
        type,
        { id: `aws-account:${account}`, kind: "aws-account" },
        withAccount(accountId),
      );
    }
    case "SAMLUser":
    case "WebIdentityUser":
    case "IdentityCenterUser": {
      const user =
        str(id["userName"]) ??
        str(obj(id["onBehalfOf"])?.["userId"]) ??
        str(id["principalId"]);
      if (!user)
        return problem(`/userIdentity ${type} has no userName or principalId`);
      const provider = str(id["identityProvider"]);
      return principal(
        type,
        {
          id: `aws-${type === "SAMLUser" ? "saml" : type === "WebIdentityUser" ? "web-identity" : "identity-center"}:${provider ? `${provider}/` : ""}${user}`,
          kind: `aws-${type === "SAMLUser" ? "saml-user" : type === "WebIdentityUser" ? "web-identity-user" : "identity-center-user"}`,
        },
        withAccount(accountId),
      );
    }
    case "Unknown":
      // AWS writes Unknown for failed sign-ins and some cross-account calls: named by what is left.
      if (arn) return principal(type, { id: arn, kind: "aws-unknown" });
      if (str(id["principalId"]))
        return principal(type, {
          id: `aws-unknown:${str(id["principalId"])}`,
          kind: "aws-unknown",
        });
      return problem("/userIdentity Unknown has neither arn nor principalId");
    default:
      return problem(
        type === undefined
          ? "/userIdentity/type is missing"
          : `/userIdentity/type ${quote(type)} is not a CloudTrail identity type`,
      );
  }
}
