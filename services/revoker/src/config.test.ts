import { describe, expect, it } from "vitest";
import { ConfigError } from "@warden/shared";
import { loadRevokerConfig } from "./config.js";
import { EventType } from "./core/event-types.js";
import { sha256Hex } from "./core/receivers.js";

describe("loadRevokerConfig", () => {
  it("starts with no static receiver, streams coming through the API", () => {
    const config = loadRevokerConfig({});
    expect(config.common.opsPort).toBe(9104);
    expect(config.issuer).toBe("http://127.0.0.1:8088");
    expect(config.httpPort).toBe(8088);
    expect(config.signing).toEqual({
      file: ".warden/revoker/signing-key.json",
      alg: "RS256",
      rotationMs: 30 * 86_400_000,
      overlapMs: 7 * 86_400_000,
    });
    expect(config.receivers).toEqual([]);
    expect(config.urlPolicy).toEqual({ allowHttp: false, allowedCidrs: [] });
    expect(config.staticPush).toBeUndefined();
    // The host's issuer + /tenants/{tenant}, resolved in settings.ts.
    expect(config.sets.subjectIssuerTemplate).toBeUndefined();
  });

  it("refuses a REVOKER_QUEUE_MAX_AGE inside the queue's 10 min duplicate window", () => {
    expect(() => loadRevokerConfig({ REVOKER_QUEUE_MAX_AGE: "2s" })).toThrow(
      /REVOKER_QUEUE_MAX_AGE: at least 10m/,
    );
    expect(
      loadRevokerConfig({ REVOKER_QUEUE_MAX_AGE: "10m" }).delivery
        .queueMaxAgeMs,
    ).toBe(600_000);
  });

  it("serves TLS only with both files and an https issuer; the all-in-one names its issuer itself", () => {
    const tls = {
      REVOKER_TLS_CERT_FILE: "cert.pem",
      REVOKER_TLS_KEY_FILE: "key.pem",
    };
    expect(() => loadRevokerConfig({ REVOKER_TLS_CERT_FILE: "c" })).toThrow(
      /REVOKER_TLS_CERT_FILE and REVOKER_TLS_KEY_FILE/,
    );
    expect(() => loadRevokerConfig(tls)).toThrow(
      /REVOKER_ISSUER: must be https/,
    );
    expect(loadRevokerConfig(tls, "all-in-one").tls).toEqual({
      certFile: "cert.pem",
      keyFile: "key.pem",
    });
    // The token audience defaults to the host's issuer, resolved in settings.ts.
    expect(
      loadRevokerConfig({ REVOKER_OAUTH_ISSUER: "https://as.example" }).oauth,
    ).toEqual({
      issuer: "https://as.example",
      audience: undefined,
      jwksUri: undefined,
    });
  });

  it("keeps the static push stream of REVOKER_PUSH_URL (session-revoked by default)", () => {
    const config = loadRevokerConfig({
      REVOKER_PUSH_URL: "https://receiver.example/events",
      REVOKER_PUSH_AUTHORIZATION: "Bearer x",
    });
    expect(config.staticPush).toEqual({
      url: "https://receiver.example/events",
      audience: "https://receiver.example/events",
      authorization: "Bearer x",
      events: [EventType.sessionRevoked],
      tenant: "*",
      subjectFormat: "auto",
    });
    expect(
      loadRevokerConfig({
        REVOKER_PUSH_URL: "https://r.example",
        REVOKER_PUSH_EVENTS: "session-revoked, account-disabled",
      }).staticPush?.events,
    ).toEqual([EventType.sessionRevoked, EventType.accountDisabled]);
  });

  it("reads receivers with hashed tokens", () => {
    const config = loadRevokerConfig({
      REVOKER_RECEIVERS: JSON.stringify([
        { id: "idp", token_sha256: sha256Hex("t"), tenant: "acme" },
      ]),
    });
    expect(config.receivers[0]?.id).toBe("idp");
  });

  it("names a tenant's agents under its own issuer, never one two tenants share", () => {
    expect(() =>
      loadRevokerConfig({ REVOKER_SUBJECT_ISSUER: "https://agents.example" }),
    ).toThrow(/REVOKER_SUBJECT_ISSUER.*\{tenant\}/);
    expect(() =>
      loadRevokerConfig({
        REVOKER_TENANT_SUBJECT_ISSUERS: JSON.stringify({
          a: "https://idp.example",
          b: "https://idp.example",
        }),
      }),
    ).toThrow(/REVOKER_TENANT_SUBJECT_ISSUERS.*share an issuer/);
    expect(
      loadRevokerConfig({
        REVOKER_TENANT_SUBJECT_ISSUERS: JSON.stringify({
          acme: "https://acme.okta.example",
        }),
      }).sets.tenantSubjectIssuers,
    ).toEqual({ acme: "https://acme.okta.example" });
  });

  it("pauses failing push streams after 6 h and has no inactivity timeout by default", () => {
    expect(loadRevokerConfig({}).delivery).toMatchObject({
      autoPauseAfterMs: 6 * 3_600_000,
      inactivityTimeoutMs: 0,
    });
    expect(
      loadRevokerConfig({
        REVOKER_AUTO_PAUSE_AFTER: "0",
        REVOKER_STREAM_INACTIVITY_TIMEOUT: "30d",
      }).delivery,
    ).toMatchObject({
      autoPauseAfterMs: 0,
      inactivityTimeoutMs: 30 * 86_400_000,
    });
    expect(() =>
      loadRevokerConfig({ REVOKER_STREAM_INACTIVITY_TIMEOUT: "soon" }),
    ).toThrow(/REVOKER_STREAM_INACTIVITY_TIMEOUT/);
  });

  it("bounds the SET queue and the decision's deliveries, refusing nonsense by name", () => {
    expect(loadRevokerConfig({}).delivery).toMatchObject({
      queueMaxBytes: 2 * 1024 * 1024 * 1024,
      queueMaxPerStream: 100_000,
      decisionMaxDeliveries: 10,
      maxStreamsPerReceiver: 10,
      maxSubjectsPerStream: 10_000,
    });
    expect(
      loadRevokerConfig({
        REVOKER_QUEUE_MAX_BYTES: "64MiB",
        REVOKER_QUEUE_MAX_PER_STREAM: "500",
        REVOKER_DECISION_MAX_DELIVERIES: "3",
      }).delivery,
    ).toMatchObject({
      queueMaxBytes: 64 * 1024 * 1024,
      queueMaxPerStream: 500,
      decisionMaxDeliveries: 3,
    });
    for (const [variable, value] of [
      ["REVOKER_QUEUE_MAX_BYTES", "lots"],
      ["REVOKER_QUEUE_MAX_PER_STREAM", "0"],
      ["REVOKER_DECISION_MAX_DELIVERIES", "0"],
      ["REVOKER_MAX_STREAMS_PER_RECEIVER", "0"],
      ["REVOKER_MAX_SUBJECTS_PER_STREAM", "many"],
    ] as const)
      expect(() => loadRevokerConfig({ [variable]: value })).toThrow(
        new RegExp(variable),
      );
  });

  it("never repeats a secret in a start-up error (issue 16)", () => {
    const message = (env: Record<string, string>): string => {
      try {
        loadRevokerConfig(env);
      } catch (error) {
        return String((error as Error).message);
      }
      throw new Error("expected a configuration error");
    };
    const push = message({ REVOKER_PUSH_URL: "https://svc:pw-SECRET-1@h/ x" });
    expect(push).toMatch(/REVOKER_PUSH_URL/);
    expect(push).toContain("https://[redacted]@h/");
    expect(push).not.toContain("SECRET-1");
    const oauth = message({
      REVOKER_OAUTH_ISSUER: "https://u:SECRET-2@idp.example/ x",
    });
    expect(oauth).toMatch(/REVOKER_OAUTH_ISSUER/);
    expect(oauth).not.toContain("SECRET-2");
    const connectors = message({
      REVOKER_CONNECTORS:
        '[{"id":"x","type":"webhook","tenant":"acme","url":"https://h/","secret":"SECRET-3"',
    });
    expect(connectors).toMatch(/REVOKER_CONNECTORS/);
    expect(connectors).not.toContain("SECRET-3");
  });

  it("reports every bad variable at once", () => {
    let error: unknown;
    try {
      loadRevokerConfig({
        REVOKER_PUSH_URL: "ftp://x",
        REVOKER_HTTP_PORT: "70000",
        REVOKER_RECEIVERS: "[{}]",
        REVOKER_RECEIVER_ALLOWED_CIDRS: "10.0.0.0/99",
        REVOKER_PUSH_EVENTS: "session-exploded",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(
      (error as ConfigError).problems.map((p) => p.variable).sort(),
    ).toEqual([
      "REVOKER_HTTP_PORT",
      "REVOKER_PUSH_EVENTS",
      "REVOKER_PUSH_URL",
      "REVOKER_RECEIVERS",
      "REVOKER_RECEIVER_ALLOWED_CIDRS",
    ]);
  });
});
