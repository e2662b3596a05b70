import { describe, expect, it } from "vitest";
import { createLogger, REDACTED_PATHS } from "./logger.js";

function collector(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
  };
}

describe("createLogger", () => {
  it("never writes secrets and writes [redacted] instead", () => {
    const destination = collector();
    const logger = createLogger({
      level: "info",
      service: "test",
      destination,
    });
    logger.info(
      {
        authorization: "Bearer abc-secret-1",
        sasl: { password: "p-secret-2" },
        nested: { token: "t-secret-3" },
        headers: { authorization: "Bearer hdr-secret-4" },
        req: { headers: { authorization: "Bearer req-secret-5" } },
        credential: {
          id: "key_1",
          secret: "cred-secret-6",
          token: "cred-secret-7",
        },
        password: "pw-secret-8",
        jwk: { kty: "EC", d: "jwk-secret-9" },
        keep: "visible-value",
      },
      "connecting",
    );
    expect(destination.lines).toHaveLength(1);
    const text = destination.lines.join("");
    for (const secret of [
      "abc-secret-1",
      "p-secret-2",
      "t-secret-3",
      "hdr-secret-4",
      "req-secret-5",
      "cred-secret-6",
      "cred-secret-7",
      "pw-secret-8",
      "jwk-secret-9",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("[redacted]");
    expect(text).toContain("visible-value");
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line["authorization"]).toBe("[redacted]");
    expect(line["sasl"]).toEqual({ password: "[redacted]" });
    expect(line["nested"]).toEqual({ token: "[redacted]" });
    expect(line["credential"]).toEqual({
      id: "key_1",
      secret: "[redacted]",
      token: "[redacted]",
    });
    expect(line["jwk"]).toEqual({ kty: "EC", d: "[redacted]" });
  });

  it("redacts in child loggers too", () => {
    const destination = collector();
    const logger = createLogger({
      level: "info",
      service: "test",
      destination,
    }).child({ component: "kafka" });
    logger.warn(
      { sasl: { password: "child-secret" }, token: "top-secret" },
      "retrying",
    );
    const text = destination.lines.join("");
    expect(text).not.toContain("child-secret");
    expect(text).not.toContain("top-secret");
    expect(text).toContain("[redacted]");
  });

  it("writes JSON lines with the service, a label level and an ISO time", () => {
    const destination = collector();
    const logger = createLogger({
      level: "info",
      service: "ingest",
      destination,
    });
    logger.info({ n: 1 }, "hello");
    const line = JSON.parse(destination.lines[0] ?? "{}") as Record<
      string,
      unknown
    >;
    expect(line["service"]).toBe("ingest");
    expect(line["level"]).toBe("info");
    expect(line["msg"]).toBe("hello");
    expect(line["n"]).toBe(1);
    expect(typeof line["time"]).toBe("string");
    expect(Number.isNaN(Date.parse(String(line["time"])))).toBe(false);
  });

  it("honours the level", () => {
    const destination = collector();
    const logger = createLogger({
      level: "warn",
      service: "test",
      destination,
    });
    logger.info("hidden");
    logger.debug("hidden");
    logger.error("shown");
    expect(destination.lines).toHaveLength(1);
    const silent = collector();
    createLogger({
      level: "silent",
      service: "test",
      destination: silent,
    }).fatal("nothing");
    expect(silent.lines).toHaveLength(0);
  });

  it("redacts every listed top-level path", () => {
    const destination = collector();
    const logger = createLogger({
      level: "info",
      service: "test",
      destination,
    });
    const topLevel = REDACTED_PATHS.filter(
      (path) => !path.includes(".") && !path.includes("*"),
    );
    const fields = Object.fromEntries(
      topLevel.map((path) => [path, `leak-${path}`]),
    );
    logger.info(fields, "all");
    const text = destination.lines.join("");
    for (const path of topLevel) expect(text).not.toContain(`leak-${path}`);
  });
});
