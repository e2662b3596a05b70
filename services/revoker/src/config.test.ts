import { describe, expect, it } from "vitest";
import { ConfigError } from "@warden/shared";
import { loadRevokerConfig } from "./config.js";

describe("loadRevokerConfig", () => {
  it("refuses to start without REVOKER_PUSH_URL, naming it", () => {
    expect(() => loadRevokerConfig({})).toThrow(ConfigError);
    expect(() => loadRevokerConfig({})).toThrow(/REVOKER_PUSH_URL/);
  });

  it("applies the defaults, audience = push URL", () => {
    const config = loadRevokerConfig({
      REVOKER_PUSH_URL: "https://receiver.example/events",
    });
    expect(config.common.opsPort).toBe(9104);
    expect(config.issuer).toBe("http://127.0.0.1:8088");
    expect(config.httpHost).toBe("127.0.0.1");
    expect(config.httpPort).toBe(8088);
    expect(config.signingKeyFile).toBe(".warden/revoker/signing-key.json");
    expect(config.push).toEqual({
      url: "https://receiver.example/events",
      audience: "https://receiver.example/events",
      authorization: undefined,
    });
  });

  it("reports every bad variable at once", () => {
    expect(() =>
      loadRevokerConfig({
        REVOKER_PUSH_URL: "ftp://x",
        REVOKER_HTTP_PORT: "70000",
      }),
    ).toThrow(/REVOKER_HTTP_PORT.*REVOKER_PUSH_URL/);
  });
});
