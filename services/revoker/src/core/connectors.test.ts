import { describe, expect, it } from "vitest";
import { manualAction } from "./action.js";
import {
  connectorJobs,
  parseConnectors,
  revocationRequest,
  globalRevocationRequest,
  scimDeactivate,
  scimLookup,
  webhookRequest,
  webhookSignature,
} from "./connectors.js";

const connectors = parseConnectors(
  JSON.stringify([
    {
      id: "idp",
      type: "oauth_revocation",
      tenant: "acme",
      endpoint: "https://idp/revoke",
      client_id: "warden:x",
      client_secret: "s&cret",
      credential_ids_are_tokens: true,
    },
    {
      id: "dir",
      type: "scim",
      tenant: "acme",
      base_url: "https://dir/scim/v2/",
      token: "scim-token",
    },
    {
      id: "hook",
      type: "webhook",
      tenant: "acme",
      url: "https://hooks/warden",
      secret: "hook-secret",
    },
    {
      id: "other",
      type: "webhook",
      tenant: "globex",
      url: "https://hooks/globex",
      secret: "x",
    },
  ]),
);
const revoke = manualAction({
  kind: "revoke",
  id: "dec-1",
  tenant: "acme",
  agentId: 'bot"1',
  credentialIds: ["tok-a", "tok-b"],
  reason: "exfiltration",
  nowSeconds: 100,
});

describe("connector configuration", () => {
  it.each([
    ["{}", "array"],
    ['[{"id":"a","type":"ftp","tenant":"t"}]', "type"],
    [
      '[{"id":"a b","type":"webhook","tenant":"t","url":"u","secret":"s"}]',
      "unique",
    ],
    ['[{"id":"a","type":"scim","tenant":"t","base_url":"u"}]', "token"],
  ])("refuses %s", (json, message) =>
    expect(() => parseConnectors(json)).toThrow(message),
  );
});

describe("connectorJobs", () => {
  it("revokes each token, deactivates the account and calls the webhook, for the action's tenant only", () => {
    const jobs = connectorJobs(revoke, connectors, 5);
    expect(jobs.map((job) => [job.connectorId, job.credentialId])).toEqual([
      ["idp", "tok-a"],
      ["idp", "tok-b"],
      ["dir", undefined],
      ["hook", undefined],
    ]);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(4);
    expect(connectorJobs(revoke, connectors, 99).map((job) => job.id)).toEqual(
      jobs.map((job) => job.id),
    );
  });

  it("reinstates through SCIM and the webhook, never un-revokes tokens", () => {
    const reinstate = { ...revoke, kind: "reinstate" as const };
    expect(
      connectorJobs(reinstate, connectors, 5).map((job) => job.connectorId),
    ).toEqual(["dir", "hook"]);
    expect(
      connectorJobs({ ...revoke, kind: "step_up" }, connectors, 5).map(
        (job) => job.connectorId,
      ),
    ).toEqual(["hook"]);
  });
});

describe("requests", () => {
  it("RFC 7009: form body and Basic auth of the url-encoded client credentials", () => {
    const call = revocationRequest(connectors[0] as never, "tok-a");
    expect(call.body).toBe("token=tok-a&token_type_hint=access_token");
    expect(
      Buffer.from(
        call.headers["authorization"]?.slice(6) ?? "",
        "base64",
      ).toString(),
    ).toBe("warden%3Ax:s%26cret");
  });

  it("SCIM: a quoted userName filter and a PatchOp on active", () => {
    expect(
      decodeURIComponent(scimLookup(connectors[1] as never, 'bot"1').url),
    ).toBe(
      'https://dir/scim/v2/Users?filter=userName+eq+"bot\\"1"+and+(userType+eq+"agent")',
    );
    const patch = scimDeactivate(connectors[1] as never, "u/1", false);
    expect(patch.url).toBe("https://dir/scim/v2/Users/u%2F1");
    expect(JSON.parse(patch.body ?? "")).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: false }],
    });
  });

  it("refuses an RFC 7009 connector that would post credential ids as tokens (issue 16)", () => {
    expect(() =>
      parseConnectors(
        JSON.stringify([
          {
            id: "idp",
            type: "oauth_revocation",
            tenant: "acme",
            endpoint: "https://idp/revoke",
            client_id: "x",
            client_secret: "y",
          },
        ]),
      ),
    ).toThrow(/credential_ids_are_tokens.*oauth_global_revocation/);
  });

  it("Global Token Revocation: one JSON call per revoke naming the agent's subject", () => {
    const [global] = parseConnectors(
      JSON.stringify([
        {
          id: "gtr",
          type: "oauth_global_revocation",
          tenant: "acme",
          endpoint: "https://idp/global-token-revocation",
          client_id: "warden",
          client_secret: "s",
        },
      ]),
    );
    const jobs = connectorJobs(revoke, [global!], 5);
    expect(jobs.map((job) => job.credentialId)).toEqual([undefined]);
    expect(
      connectorJobs({ ...revoke, kind: "reinstate" }, [global!], 5),
    ).toEqual([]);
    const call = globalRevocationRequest(global as never, 'bot"1');
    expect(JSON.parse(call.body ?? "")).toEqual({
      sub_id: { format: "opaque", id: 'bot"1' },
    });
    expect(call.headers["content-type"]).toBe("application/json");
  });

  it("webhook: HMAC-SHA256 over timestamp and body", () => {
    const [job] = connectorJobs(revoke, [connectors[2]!], 5);
    const call = webhookRequest(connectors[2] as never, job!, 1700.9);
    const signature = call.headers["x-warden-signature"];
    expect(signature).toBe(
      `t=1700,v1=${webhookSignature("hook-secret", 1700, call.body ?? "")}`,
    );
    expect(JSON.parse(call.body ?? "")).toMatchObject({
      txn: "dec-1",
      action: "revoke",
      agent_id: 'bot"1',
    });
    expect(webhookSignature("other", 1700, call.body ?? "")).not.toBe(
      signature?.split("v1=")[1],
    );
  });
});
