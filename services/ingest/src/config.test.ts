import { describe, expect, it } from "vitest";
import { loadIngestConfig } from "./config.js";

describe("ingest config: OTLP mapping", () => {
  it("reads the credential and tenant attributes and the sensitivity rules", () => {
    const config = loadIngestConfig({
      INGEST_OTLP_CREDENTIAL_ATTRIBUTE: "gateway.token.id",
      INGEST_OTLP_TENANT_ATTRIBUTE: "tenant.id",
      INGEST_OTLP_SENSITIVITY: "tool:delete_*=restricted",
    });
    expect(config.otlp.credentialAttribute).toBe("gateway.token.id");
    expect(config.otlp.tenantAttribute).toBe("tenant.id");
    expect(config.otlp.sensitivity[0]?.pattern.test("tool:delete_row")).toBe(
      true,
    );
    expect(loadIngestConfig({}).otlp).toEqual({
      credentialAttribute: undefined,
      tenantAttribute: undefined,
      sensitivity: [],
    });
  });

  it("names the variable of a bad rule or attribute", () => {
    expect(() =>
      loadIngestConfig({ INGEST_OTLP_SENSITIVITY: "tool:*=top-secret" }),
    ).toThrow(/INGEST_OTLP_SENSITIVITY/);
    expect(() =>
      loadIngestConfig({ INGEST_OTLP_TENANT_ATTRIBUTE: "has space" }),
    ).toThrow(/INGEST_OTLP_TENANT_ATTRIBUTE/);
  });
});

describe("ingest config: OTLP/gRPC", () => {
  it("is off by default and listens where it is told", () => {
    expect(loadIngestConfig({}).otlpGrpcListen).toBeUndefined();
    expect(
      loadIngestConfig({
        INGEST_OTLP_GRPC_ENABLED: "true",
        INGEST_OTLP_GRPC_PORT: "0",
      }).otlpGrpcListen,
    ).toEqual({ host: "127.0.0.1", port: 0 });
  });

  it("names the variable of a bad port, an open non-loopback host or a shared port", () => {
    expect(() => loadIngestConfig({ INGEST_OTLP_GRPC_PORT: "70000" })).toThrow(
      /INGEST_OTLP_GRPC_PORT/,
    );
    expect(() =>
      loadIngestConfig({
        INGEST_OTLP_GRPC_ENABLED: "true",
        INGEST_OTLP_GRPC_HOST: "0.0.0.0",
      }),
    ).toThrow(/INGEST_GATEWAY_TOKENS.*INGEST_OTLP_GRPC_HOST/s);
    expect(() =>
      loadIngestConfig({
        INGEST_HTTP_ENABLED: "true",
        INGEST_OTLP_GRPC_ENABLED: "true",
        INGEST_HTTP_PORT: "4317",
      }),
    ).toThrow(/INGEST_OTLP_GRPC_PORT/);
  });
});
