import { auditRecordSignature } from "@warden/shared";
import { describe, expect, it } from "vitest";
import {
  authenticateBearer,
  authenticateRecord,
  hashToken,
  parseGatewayTokens,
} from "./gateway-tokens.js";

const hex = (token: string) => hashToken(token).toString("hex");

describe("gateway tokens", () => {
  const tokens = parseGatewayTokens(
    `edge-1:${hex("s3cret-one")}:acme, edge-2:${hex("s3cret-two")}:globex:bot-|svc-`,
  );

  it("binds each credential to its tenant and agent-id prefixes", () => {
    expect(
      tokens.map(({ gateway, tenant, agentPrefixes }) => ({
        gateway,
        tenant,
        agentPrefixes,
      })),
    ).toEqual([
      { gateway: "edge-1", tenant: "acme", agentPrefixes: [] },
      { gateway: "edge-2", tenant: "globex", agentPrefixes: ["bot-", "svc-"] },
    ]);
  });

  it("finds the credential of a valid bearer token and refuses anything else", () => {
    expect(authenticateBearer("Bearer s3cret-two", tokens)?.gateway).toBe(
      "edge-2",
    );
    expect(authenticateBearer("Bearer s3cret-three", tokens)).toBeUndefined();
    expect(authenticateBearer("bearer s3cret-two", tokens)).toBeUndefined();
    expect(authenticateBearer("Basic s3cret-two", tokens)).toBeUndefined();
    expect(authenticateBearer(undefined, tokens)).toBeUndefined();
    expect(authenticateBearer("Bearer ", tokens)).toBeUndefined();
  });

  it("verifies a Kafka record's signature against the named gateway's key only", () => {
    const byGateway = new Map(tokens.map((token) => [token.gateway, token]));
    const value = Buffer.from('{"event_id":"e1"}');
    const signed = auditRecordSignature(hashToken("s3cret-one"), value);
    expect(authenticateRecord("edge-1", signed, value, byGateway)?.tenant).toBe(
      "acme",
    );
    // Another gateway's name, other bytes, no signature, an unknown gateway: all refused.
    expect(
      authenticateRecord("edge-2", signed, value, byGateway),
    ).toBeUndefined();
    expect(
      authenticateRecord("edge-1", signed, Buffer.from("{}"), byGateway),
    ).toBeUndefined();
    expect(
      authenticateRecord("edge-1", undefined, value, byGateway),
    ).toBeUndefined();
    expect(
      authenticateRecord("edge-9", signed, value, byGateway),
    ).toBeUndefined();
    expect(
      authenticateRecord("edge-1", "v1=00", value, byGateway),
    ).toBeUndefined();
  });

  it("explains a bad entry by position without echoing it", () => {
    for (const bad of [
      "edge-1:nothex:acme",
      `edge-1:${hex("x")}`,
      `edge-1:${hex("x")}:acme:`,
      `edge-1:${hex("x")}:ac me`,
    ]) {
      expect(() => parseGatewayTokens(bad)).toThrow(/^entry 1 must be/);
      expect(() => parseGatewayTokens(bad)).not.toThrow(/nothex|edge-1/);
    }
    expect(() => parseGatewayTokens(`a:${hex("x")}:t,a:${hex("y")}:t`)).toThrow(
      /unique/,
    );
    expect(parseGatewayTokens("")).toEqual([]);
  });
});
