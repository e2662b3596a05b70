import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "./config.js";
import { GatewayConfigError } from "./errors.js";

describe("loadGatewayConfig", () => {
  it("gives complete defaults for an empty environment", () => {
    const config = loadGatewayConfig({
      WARDEN_JWKS_URL: "https://warden.example/jwks.json",
    });
    expect(config).toMatchObject({
      killSwitch: {
        jwksUrl: "https://warden.example/jwks.json",
        acceptUnsigned: false,
      },
      shipTo: "kafka",
      namespace: "",
      tenant: "default",
      kafka: { brokers: ["127.0.0.1:9092"] },
      nats: { servers: ["nats://127.0.0.1:4222"] },
      spoolMaxBytes: 256 * 1024 * 1024,
      sendTimeoutMs: 5_000,
      ingest: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads sizes, durations and lists", () => {
    const config = loadGatewayConfig({
      KAFKA_BROKERS: "a:9092, b:9092",
      GATEWAY_SPOOL_MAX: "64MiB",
      GATEWAY_SEND_TIMEOUT: "2s",
      WARDEN_SHIP_TO: "http",
      WARDEN_INGEST_URL: "https://warden.example/v1/events",
      WARDEN_INGEST_TOKEN: "t0ken",
      WARDEN_KILL_SWITCH_UNSIGNED: "true",
    });
    expect(config.kafka.brokers).toEqual(["a:9092", "b:9092"]);
    expect(config.spoolMaxBytes).toBe(64 * 1024 * 1024);
    expect(config.sendTimeoutMs).toBe(2_000);
    expect(config.ingest).toEqual({
      url: "https://warden.example/v1/events",
      token: "t0ken",
    });
  });

  it("names every bad variable in one error", () => {
    try {
      loadGatewayConfig({
        WARDEN_SHIP_TO: "http",
        GATEWAY_SPOOL_MAX: "lots",
        GATEWAY_SEND_TIMEOUT: "-1s",
        WARDEN_NAMESPACE: "Not_OK",
        NATS_TOKEN: "x",
        NATS_USER: "y",
      });
      expect.fail("should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayConfigError);
      expect(
        (error as GatewayConfigError).problems.map((p) => p.option),
      ).toEqual([
        "WARDEN_INGEST_URL",
        "WARDEN_JWKS_URL",
        "NATS_TOKEN/NATS_USER",
        "WARDEN_NAMESPACE",
        "GATEWAY_SPOOL_MAX",
        "GATEWAY_SEND_TIMEOUT",
      ]);
    }
    expect(() => loadGatewayConfig({ WARDEN_INGEST_URL: "ftp://x" })).toThrow(
      /WARDEN_INGEST_URL \(an http\(s\) URL\)/u,
    );
  });
});
