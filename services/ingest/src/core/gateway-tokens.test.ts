import { describe, expect, it } from "vitest";
import {
  authenticateBearer,
  hashToken,
  parseGatewayTokens,
} from "./gateway-tokens.js";

const hex = (token: string) => hashToken(token).toString("hex");

describe("gateway tokens", () => {
  const tokens = parseGatewayTokens(
    `edge-1:${hex("s3cret-one")}, edge-2:${hex("s3cret-two")}`,
  );

  it("finds the gateway of a valid bearer token and refuses anything else", () => {
    expect(authenticateBearer("Bearer s3cret-two", tokens)).toBe("edge-2");
    expect(authenticateBearer("Bearer s3cret-three", tokens)).toBeUndefined();
    expect(authenticateBearer("bearer s3cret-two", tokens)).toBeUndefined();
    expect(authenticateBearer("Basic s3cret-two", tokens)).toBeUndefined();
    expect(authenticateBearer(undefined, tokens)).toBeUndefined();
    expect(authenticateBearer("Bearer ", tokens)).toBeUndefined();
  });

  it("explains a bad entry by position without echoing it", () => {
    expect(() => parseGatewayTokens("edge-1:nothex")).toThrow(
      /^entry 1 must be/,
    );
    expect(() => parseGatewayTokens("edge-1:nothex")).not.toThrow(/nothex/);
    expect(() => parseGatewayTokens(`a:${hex("x")},a:${hex("y")}`)).toThrow(
      /unique/,
    );
    expect(parseGatewayTokens("")).toEqual([]);
  });
});
