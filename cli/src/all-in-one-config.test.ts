import { ConfigError } from "@warden/shared";
import { describe, expect, it } from "vitest";
import { loadTransmitterConfig, parseEventList } from "./all-in-one-config.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";

describe("the all-in-one's transmitter settings", () => {
  it("defaults to the data directory's key, its own URL as issuer and no receiver", () => {
    expect(loadTransmitterConfig({})).toEqual({
      issuer: undefined,
      signingKeyFile: undefined,
      dataDir: undefined,
      signingAlg: "RS256",
      pushTimeoutMs: 10_000,
      push: undefined,
      findingSinks: [],
      auditBacklog: 10_000,
    });
  });

  it("names WARDEN_AUDIT_BACKLOG when it is not a whole number of at least 1", () => {
    expect(() => loadTransmitterConfig({ WARDEN_AUDIT_BACKLOG: "0" })).toThrow(
      /WARDEN_AUDIT_BACKLOG/,
    );
    expect(
      loadTransmitterConfig({ WARDEN_AUDIT_BACKLOG: "50" }).auditBacklog,
    ).toBe(50);
  });

  it("refuses an http WARDEN_ISSUER when the revoker's TLS settings serve https", () => {
    expect(() =>
      loadTransmitterConfig({ WARDEN_ISSUER: "http://warden.local" }, true),
    ).toThrow(/^WARDEN_ISSUER: must be https/);
    expect(
      loadTransmitterConfig({ WARDEN_ISSUER: "https://warden.local" }, true)
        .issuer,
    ).toBe("https://warden.local");
    expect(loadTransmitterConfig({}, true).issuer).toBeUndefined();
  });

  it("reads a push receiver, its audience defaulting to its URL", () => {
    const config = loadTransmitterConfig({
      WARDEN_PUSH_URL: "https://idp.example/ssf/events",
      WARDEN_PUSH_AUTHORIZATION: "Bearer s3cret",
      WARDEN_PUSH_EVENTS: "session-revoked, account-disabled",
      WARDEN_PUSH_TIMEOUT: "2s",
      WARDEN_SIGNING_ALG: "ES256",
    });
    expect(config.push).toEqual({
      url: "https://idp.example/ssf/events",
      audience: "https://idp.example/ssf/events",
      authorization: "Bearer s3cret",
      events: [`${CAEP}/session-revoked`, `${RISC}/account-disabled`],
    });
    expect(config.pushTimeoutMs).toBe(2_000);
    expect(config.signingAlg).toBe("ES256");
  });

  it("names every bad variable at once, and never echoes the authorization", () => {
    let error: unknown;
    try {
      loadTransmitterConfig({
        WARDEN_PUSH_URL: "ftp://x",
        WARDEN_PUSH_EVENTS: "session-revoked,nonsense",
        WARDEN_SIGNING_ALG: "HS256",
        WARDEN_PUSH_AUTHORIZATION: "Bearer s3cret",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      "WARDEN_PUSH_URL",
      "WARDEN_PUSH_EVENTS",
      "WARDEN_SIGNING_ALG",
    ])
      expect(message).toContain(name);
    expect(message).not.toContain("s3cret");
  });

  it("takes short event names or full URIs, once each", () => {
    expect(
      parseEventList(`credential-change,${CAEP}/credential-change`),
    ).toEqual([`${CAEP}/credential-change`]);
    expect(() => parseEventList(" , ")).toThrow(/at least one/);
    expect(() => parseEventList("session-revokd")).toThrow(/unknown event/);
  });

  it("reads finding sinks and names WARDEN_FINDING_SINKS when one is wrong", () => {
    expect(
      loadTransmitterConfig({
        WARDEN_FINDING_SINKS:
          '[{"id":"splunk","type":"splunk_hec","url":"https://splunk.example:8088/","token":"t"}]',
      }).findingSinks,
    ).toEqual([
      {
        id: "splunk",
        type: "splunk_hec",
        url: "https://splunk.example:8088",
        token: "t",
        sourcetype: "ocsf:detection_finding",
      },
    ]);
    expect(() =>
      loadTransmitterConfig({
        WARDEN_FINDING_SINKS: '[{"id":"x","type":"syslog","url":"https://a"}]',
      }),
    ).toThrow(/WARDEN_FINDING_SINKS/);
  });
});
