import { describe, expect, it } from "vitest";
import { UsageError } from "../api-client.js";
import { usageExitCode } from "../usage-exit.js";
import {
  checkMetadata,
  metadataUrl,
  readRevokerConnection,
} from "./ssf-client.js";
import { CommanderError } from "commander";

const metadata = {
  issuer: "http://127.0.0.1:8088",
  configuration_endpoint: "http://127.0.0.1:8088/ssf/streams",
  status_endpoint: "http://127.0.0.1:8088/ssf/status",
  verification_endpoint: "http://127.0.0.1:8088/ssf/verify",
  add_subject_endpoint: "http://127.0.0.1:8088/ssf/subjects/add",
  remove_subject_endpoint: "http://127.0.0.1:8088/ssf/subjects/remove",
};

describe("metadata discovery", () => {
  it("puts the well-known path between host and issuer path (SSF 1.0 §7.2)", () => {
    expect(metadataUrl("https://w.example")).toBe(
      "https://w.example/.well-known/ssf-configuration",
    );
    expect(metadataUrl("https://w.example/tenant/a/")).toBe(
      "https://w.example/.well-known/ssf-configuration/tenant/a",
    );
  });

  it("accepts endpoints on the revoker's origin only, so the token stays there", () => {
    expect(checkMetadata("http://127.0.0.1:8088", metadata)).toEqual(metadata);
    expect(() =>
      checkMetadata("http://127.0.0.1:8088", {
        ...metadata,
        status_endpoint: "https://elsewhere.example/ssf/status",
      }),
    ).toThrow(/status_endpoint is not on http:\/\/127.0.0.1:8088/);
    expect(() =>
      checkMetadata("http://127.0.0.1:8088", { ...metadata, issuer: 1 }),
    ).toThrow(/no issuer/);
    expect(() =>
      checkMetadata("http://127.0.0.1:8088", {
        issuer: metadata.issuer,
      }),
    ).toThrow(/offers no SSF stream management .*no configuration_endpoint/);
  });
});

describe("readRevokerConnection", () => {
  it("reads the URL (default, trailing slash dropped) and the named token", () => {
    expect(
      readRevokerConnection(
        { WARDEN_SSF_TOKEN: "t0k" },
        "WARDEN_SSF_TOKEN",
        "x",
      ),
    ).toEqual({ url: "http://127.0.0.1:8088", token: "t0k" });
    expect(
      readRevokerConnection(
        { WARDEN_ADMIN_TOKEN: "a", WARDEN_REVOKER_URL: "https://w.example/" },
        "WARDEN_ADMIN_TOKEN",
        "x",
      ).url,
    ).toBe("https://w.example");
  });

  it("is a usage error naming the variable, never the token", () => {
    const read = () =>
      readRevokerConnection(
        { WARDEN_SSF_TOKEN: "has a secret space" },
        "WARDEN_SSF_TOKEN",
        "x",
      );
    expect(read).toThrow(UsageError);
    expect(read).toThrow(/WARDEN_SSF_TOKEN/);
    expect(read).not.toThrow(/secret/);
    expect(() => readRevokerConnection({}, "WARDEN_SSF_TOKEN", "x")).toThrow(
      /WARDEN_SSF_TOKEN/,
    );
  });
});

describe("exit codes", () => {
  it("turns commander's usage errors into 2 and keeps help's 0", () => {
    expect(
      usageExitCode(new CommanderError(1, "commander.unknownOption", "m")),
    ).toBe(2);
    expect(
      usageExitCode(new CommanderError(1, "commander.help", "(outputHelp)")),
    ).toBe(2);
    expect(
      usageExitCode(new CommanderError(0, "commander.helpDisplayed", "m")),
    ).toBe(0);
  });
});
