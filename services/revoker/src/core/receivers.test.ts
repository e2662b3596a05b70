import { describe, expect, it } from "vitest";
import { authenticate, parseReceivers, sha256Hex } from "./receivers.js";

const receivers = parseReceivers(
  JSON.stringify([
    {
      id: "idp",
      token_sha256: sha256Hex("idp-token"),
      audience: "https://idp.example",
      tenant: "acme",
    },
    {
      id: "app",
      token_sha256: sha256Hex("app-token"),
      scopes: ["ssf.read"],
      tenant: "*",
    },
  ]),
);

describe("receivers", () => {
  it("reserves the id operator (its streams skip the SSRF guard)", () => {
    expect(() =>
      parseReceivers(
        JSON.stringify([
          { id: "operator", token_sha256: sha256Hex("t"), tenant: "acme" },
        ]),
      ),
    ).toThrow(/reserved/);
  });

  it("applies defaults: both SSF scopes, audience = id", () => {
    expect(receivers[0]?.scopes).toEqual(["ssf.manage", "ssf.read"]);
    expect(receivers[1]?.audience).toBe("app");
  });

  it("takes an OAuth client instead of a static token, and needs one of them", () => {
    const [client] = parseReceivers(
      JSON.stringify([{ id: "c", client_id: "idp-client", tenant: "acme" }]),
    );
    expect(client).toMatchObject({
      clientId: "idp-client",
      tokenSha256: undefined,
    });
    expect(authenticate("Bearer anything", [client!])).toBeUndefined();
    expect(() =>
      parseReceivers(JSON.stringify([{ id: "c", tenant: "acme" }])),
    ).toThrow(/token_sha256.*client_id/);
  });

  it("authenticates a bearer token by its digest only", () => {
    expect(authenticate("Bearer idp-token", receivers)?.id).toBe("idp");
    expect(authenticate("bearer app-token", receivers)?.id).toBe("app");
    expect(authenticate("Bearer idp-token2", receivers)).toBeUndefined();
    expect(
      authenticate(`Bearer ${sha256Hex("idp-token")}`, receivers),
    ).toBeUndefined();
    expect(authenticate("Basic aWRwOng=", receivers)).toBeUndefined();
    expect(authenticate(undefined, receivers)).toBeUndefined();
  });

  it.each([
    ["{}", "array"],
    [`[{"id":"a","token_sha256":"${"0".repeat(64)}"}]`, '"tenant"'],
    ['[{"id":"a","token_sha256":"abc"}]', "token_sha256"],
    [
      `[{"id":"a","token_sha256":"${"0".repeat(64)}","tenant":"t","scopes":["root"]}]`,
      "scopes",
    ],
    [
      `[{"id":"a","token_sha256":"${"0".repeat(64)}","tenant":"t"},{"id":"a","token_sha256":"${"1".repeat(64)}","tenant":"t"}]`,
      "unique",
    ],
  ])("refuses %s", (json, message) => {
    expect(() => parseReceivers(json)).toThrow(message);
  });
});
