import { createHash, createHmac } from "node:crypto";
import type { AgentAction } from "./action.js";

/**
 * Connectors act on systems that do not speak SSF (issue 6, Connectors), configured per tenant:
 * OAuth 2.0 token revocation (RFC 7009) of the agent's credentials, SCIM 2.0 (RFC 7644)
 * `active` on the agent's account, and a generic webhook signed with HMAC-SHA256. This module
 * parses the configuration and builds the requests; the adapter sends them.
 */
export const ConnectorType = {
  oauthRevocation: "oauth_revocation",
  oauthGlobalRevocation: "oauth_global_revocation",
  scim: "scim",
  webhook: "webhook",
} as const;
export type ConnectorType = (typeof ConnectorType)[keyof typeof ConnectorType];

export type ConnectorConfig =
  | {
      readonly id: string;
      readonly type: typeof ConnectorType.oauthRevocation;
      readonly tenant: string;
      readonly endpoint: string;
      readonly clientId: string;
      /** Sent with HTTP Basic client authentication (RFC 6749 §2.3.1); never logged. */
      readonly clientSecret: string;
    }
  | {
      /**
       * OAuth Global Token Revocation (draft-parecki-oauth-global-token-revocation): one call
       * revokes every token of the agent's subject identifier at the authorization server.
       */
      readonly id: string;
      readonly type: typeof ConnectorType.oauthGlobalRevocation;
      readonly tenant: string;
      readonly endpoint: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly id: string;
      readonly type: typeof ConnectorType.scim;
      readonly tenant: string;
      /** The SCIM base URL, e.g. https://idp.example/scim/v2. */
      readonly baseUrl: string;
      readonly token: string;
      /**
       * SCIM filter that only agent accounts match (issue 16: a human with the agent's
       * userName is never disabled); default `userType eq "agent"`.
       */
      readonly agentFilter: string;
    }
  | {
      readonly id: string;
      readonly type: typeof ConnectorType.webhook;
      readonly tenant: string;
      readonly url: string;
      readonly secret: string;
    };

const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const DEFAULT_SCIM_AGENT_FILTER = 'userType eq "agent"';

/** Parses the JSON of REVOKER_CONNECTORS; throws an Error naming the problem. */
export function parseConnectors(json: string): ConnectorConfig[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error("a JSON array of connectors");
  const seen = new Set<string>();
  return value.map((item: unknown, index) => {
    const entry = (
      typeof item === "object" && item !== null ? item : {}
    ) as Record<string, unknown>;
    const text = (field: string): string => {
      const got = entry[field];
      if (typeof got !== "string" || got === "")
        throw new Error(`connector ${index}: "${field}" as a non-empty string`);
      return got;
    };
    const id = text("id");
    if (!ID.test(id) || seen.has(id))
      throw new Error(`connector ${index}: a unique "id" of A-Z a-z 0-9 _ -`);
    seen.add(id);
    const tenant = text("tenant");
    switch (entry["type"]) {
      case ConnectorType.oauthRevocation:
        // Issue 16: Warden knows credential ids, not tokens; posting an id as `token` gets a
        // 200 for nothing. Only where gateways report the opaque token itself as the id.
        if (entry["credential_ids_are_tokens"] !== true)
          throw new Error(
            `connector ${id}: oauth_revocation posts credential ids as RFC 7009 tokens, which revokes nothing unless your gateways report the token itself as credential.id; say so with "credential_ids_are_tokens": true, or use oauth_global_revocation`,
          );
        return {
          id,
          type: ConnectorType.oauthRevocation,
          tenant,
          endpoint: text("endpoint"),
          clientId: text("client_id"),
          clientSecret: text("client_secret"),
        };
      case ConnectorType.oauthGlobalRevocation:
        return {
          id,
          type: ConnectorType.oauthGlobalRevocation,
          tenant,
          endpoint: text("endpoint"),
          clientId: text("client_id"),
          clientSecret: text("client_secret"),
        };
      case ConnectorType.scim:
        return {
          id,
          type: ConnectorType.scim,
          tenant,
          baseUrl: text("base_url").replace(/\/+$/, ""),
          token: text("token"),
          agentFilter:
            entry["agent_filter"] === undefined
              ? DEFAULT_SCIM_AGENT_FILTER
              : text("agent_filter"),
        };
      case ConnectorType.webhook:
        return {
          id,
          type: ConnectorType.webhook,
          tenant,
          url: text("url"),
          secret: text("secret"),
        };
      default:
        throw new Error(
          `connector ${id}: "type" one of ${Object.values(ConnectorType).join(", ")}`,
        );
    }
  });
}

/** One connector call to make: the unit queued, retried and audited. */
export interface ConnectorJob {
  /** Stable per (cause, connector, agent, credential): the queue's message id. */
  readonly id: string;
  readonly connectorId: string;
  readonly action: AgentAction;
  /** For oauth_revocation: the one credential (token) to revoke. */
  readonly credentialId?: string;
  readonly queued_at_ms: number;
}

/** The jobs an action causes: every connector of its tenant; RFC 7009 once per credential. */
export function connectorJobs(
  action: AgentAction,
  connectors: readonly ConnectorConfig[],
  nowMs: number,
): ConnectorJob[] {
  const jobs: ConnectorJob[] = [];
  const jobId = (...parts: string[]) =>
    createHash("sha256")
      .update(JSON.stringify([action.id, action.kind, ...parts]))
      .digest("hex")
      .slice(0, 32);
  for (const connector of connectors) {
    if (connector.tenant !== action.tenant) continue;
    if (connector.type === ConnectorType.oauthRevocation) {
      // Tokens cannot be un-revoked: reinstatement and step-up leave them alone.
      if (action.kind !== "revoke") continue;
      for (const credentialId of action.credentialIds)
        jobs.push({
          id: jobId(connector.id, action.agentId, credentialId),
          connectorId: connector.id,
          action,
          credentialId,
          queued_at_ms: nowMs,
        });
    } else if (connector.type === ConnectorType.oauthGlobalRevocation) {
      if (action.kind === "revoke")
        jobs.push({
          id: jobId(connector.id, action.agentId),
          connectorId: connector.id,
          action,
          queued_at_ms: nowMs,
        });
    } else if (
      // A hold and its release move no account: only a webhook hears of them.
      (action.kind !== "step_up" && action.kind !== "release") ||
      connector.type === ConnectorType.webhook
    ) {
      jobs.push({
        id: jobId(connector.id, action.agentId),
        connectorId: connector.id,
        action,
        queued_at_ms: nowMs,
      });
    }
  }
  return jobs;
}

export interface HttpCall {
  readonly method: "POST" | "PATCH" | "GET";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** RFC 7009 §2.1: form-encoded `token` and `token_type_hint`, HTTP Basic client authentication. */
export function revocationRequest(
  connector: Extract<ConnectorConfig, { type: "oauth_revocation" }>,
  token: string,
): HttpCall {
  // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
  const basic = Buffer.from(
    `${encodeURIComponent(connector.clientId)}:${encodeURIComponent(connector.clientSecret)}`,
  ).toString("base64");
  return {
    method: "POST",
    url: connector.endpoint,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${basic}`,
    },
    body: new URLSearchParams({
      token,
      token_type_hint: "access_token",
    }).toString(),
  };
}

/**
 * Global Token Revocation: `POST` JSON `{"sub_id": {"format": "opaque", "id": <agent>}}`
 * (an RFC 9493 subject identifier) with HTTP Basic client authentication; 204 on success.
 */
export function globalRevocationRequest(
  connector: Extract<ConnectorConfig, { type: "oauth_global_revocation" }>,
  agentId: string,
): HttpCall {
  const basic = Buffer.from(
    `${encodeURIComponent(connector.clientId)}:${encodeURIComponent(connector.clientSecret)}`,
  ).toString("base64");
  return {
    method: "POST",
    url: connector.endpoint,
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${basic}`,
    },
    body: JSON.stringify({ sub_id: { format: "opaque", id: agentId } }),
  };
}

/**
 * RFC 7644 §3.4.2.2: find the agent's account by userName, among agent accounts only
 * (`agentFilter`); the adapter also refuses an answer that is not exactly one account of
 * that userName.
 */
export function scimLookup(
  connector: Extract<ConnectorConfig, { type: "scim" }>,
  agentId: string,
): HttpCall {
  const filter = `userName eq "${agentId.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}" and (${connector.agentFilter})`;
  return {
    method: "GET",
    url: `${connector.baseUrl}/Users?${new URLSearchParams({ filter }).toString()}`,
    headers: {
      accept: "application/scim+json",
      authorization: `Bearer ${connector.token}`,
    },
  };
}

/** RFC 7644 §3.5.2: PATCH `active` (false on revoke, true on reinstate). */
export function scimDeactivate(
  connector: Extract<ConnectorConfig, { type: "scim" }>,
  resourceId: string,
  active: boolean,
): HttpCall {
  return {
    method: "PATCH",
    url: `${connector.baseUrl}/Users/${encodeURIComponent(resourceId)}`,
    headers: {
      "content-type": "application/scim+json",
      accept: "application/scim+json",
      authorization: `Bearer ${connector.token}`,
    },
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: active }],
    }),
  };
}

/**
 * The webhook: the action as JSON, signed so the receiver can check origin and freshness:
 * `X-Warden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 */
export function webhookRequest(
  connector: Extract<ConnectorConfig, { type: "webhook" }>,
  job: ConnectorJob,
  nowSeconds: number,
): HttpCall {
  const body = JSON.stringify({
    id: job.id,
    txn: job.action.id,
    action: job.action.kind,
    tenant: job.action.tenant,
    agent_id: job.action.agentId,
    credential_ids: job.action.credentialIds,
    reason: job.action.reasonAdmin,
    event_time: job.action.eventTimeSeconds,
  });
  const timestamp = Math.floor(nowSeconds);
  return {
    method: "POST",
    url: connector.url,
    headers: {
      "content-type": "application/json",
      "x-warden-signature": `t=${timestamp},v1=${webhookSignature(connector.secret, timestamp, body)}`,
    },
    body,
  };
}

export function webhookSignature(
  secret: string,
  timestamp: number,
  body: string,
): string {
  return createHmac("sha256", secret)
    .update(`${timestamp}.${body}`)
    .digest("hex");
}
