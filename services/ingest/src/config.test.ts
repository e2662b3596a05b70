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
