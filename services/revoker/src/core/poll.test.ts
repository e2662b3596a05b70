import { describe, expect, it } from "vitest";
import { MAX_POLL_MAX_EVENTS, readPollRequest } from "./poll.js";
import { metadataPath, transmitterMetadata } from "./metadata.js";

describe("readPollRequest", () => {
  it("reads RFC 8936 fields with defaults and caps maxEvents", () => {
    expect(readPollRequest(undefined)).toEqual({
      ok: true,
      request: {
        maxEvents: 100,
        returnImmediately: false,
        ack: [],
        setErrs: {},
      },
    });
    const parsed = readPollRequest({
      maxEvents: 1e6,
      returnImmediately: true,
      ack: ["a"],
      setErrs: { b: { err: "invalid_key", description: "unknown kid" } },
    });
    expect(parsed.ok && parsed.request).toEqual({
      maxEvents: MAX_POLL_MAX_EVENTS,
      returnImmediately: true,
      ack: ["a"],
      setErrs: { b: { err: "invalid_key", description: "unknown kid" } },
    });
    expect(readPollRequest({ maxEvents: 0 }).ok).toBe(true);
  });

  it.each([
    [{ maxEvents: -1 }],
    [{ maxEvents: 1.5 }],
    [{ ack: "a" }],
    [{ setErrs: { a: 1 } }],
    [[]],
  ])("refuses %j", (body) => expect(readPollRequest(body).ok).toBe(false));
});

describe("metadata", () => {
  it("inserts the well-known segment before the issuer's path", () => {
    expect(metadataPath("https://h")).toBe("/.well-known/ssf-configuration");
    expect(metadataPath("https://h/x/")).toBe(
      "/.well-known/ssf-configuration/x",
    );
  });
  it("names every endpoint from the issuer's origin", () => {
    const metadata = transmitterMetadata("https://h/x", "ALL");
    expect(metadata).toMatchObject({
      spec_version: "1_0",
      issuer: "https://h/x",
      jwks_uri: "https://h/jwks.json",
      delivery_methods_supported: ["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"],
      configuration_endpoint: "https://h/ssf/streams",
      default_subjects: "ALL",
    });
  });
});
