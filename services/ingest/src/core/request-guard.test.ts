import { describe, expect, it } from "vitest";
import { refusal } from "./request-guard.js";

describe("HTTP ingest request guard", () => {
  it("refuses any request a web page sends (Origin present)", () => {
    for (const authenticated of [true, false])
      expect(
        refusal({
          host: "127.0.0.1:8081",
          origin: "https://evil.example",
          authenticated,
        })?.reason,
      ).toBe("origin");
  });

  it("answers unauthenticated requests only under a loopback Host (DNS rebinding)", () => {
    for (const host of [
      "127.0.0.1:8081",
      "localhost",
      "[::1]:80",
      "LOCALHOST:1",
    ])
      expect(
        refusal({ host, origin: undefined, authenticated: false }),
      ).toBeUndefined();
    for (const host of [
      "rebind.evil.example:8081",
      "127.0.0.1.evil.example",
      "",
      undefined,
    ])
      expect(
        refusal({ host, origin: undefined, authenticated: false })?.reason,
      ).toBe("host");
    expect(
      refusal({
        host: "ingest.example",
        origin: undefined,
        authenticated: true,
      }),
    ).toBeUndefined();
  });
});
