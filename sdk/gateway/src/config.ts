import { hostname } from "node:os";
import { GatewayConfigError } from "./errors.js";
import { DEFAULT_SEND_TIMEOUT_MS } from "./shipper-options.js";
import { DEFAULT_SPOOL_MAX_BYTES } from "./spool.js";

export const DEFAULT_KAFKA_BROKERS = ["127.0.0.1:9092"] as const;
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_SPOOL_DIR = ".warden/gateway-spool";

const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a gateway embedding the SDK reads from its environment, once, at start-up. */
export interface GatewayConfig {
  readonly logLevel: LogLevel;
  readonly namespace: string;
  readonly tenant: string;
  readonly gatewayName: string;
  readonly shipTo: "kafka" | "http";
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
  };
  readonly ingest:
    { readonly url: string; readonly token: string | undefined } | undefined;
  /** How kill-switch messages are verified: the revoker's JWKS, or (development) not at all. */
  readonly killSwitch: {
    readonly jwksUrl: string | undefined;
    readonly acceptUnsigned: boolean;
  };
  /** WARDEN_INGEST_TOKEN: the gateway's credential, a bearer token over HTTP, a record signature on Kafka. */
  readonly gatewayToken: string | undefined;
  readonly nats: {
    readonly servers: readonly string[];
    readonly token: string | undefined;
    readonly user: string | undefined;
    readonly password: string | undefined;
  };
  readonly spoolDirectory: string;
  readonly spoolMaxBytes: number;
  readonly sendTimeoutMs: number;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const DURATION_UNITS: Record<string, number> = {
  "": 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

function withUnit(
  value: string,
  units: Record<string, number>,
): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/u.exec(value.trim());
  const factor = units[match?.[2] ?? "?"];
  if (!match || factor === undefined) return undefined;
  return Math.round(Number(match[1]) * factor);
}

/** A reader that collects every problem, so one error names every bad variable. */
export class EnvReader {
  readonly problems: { option: string; expected: string }[] = [];
  constructor(private readonly env: Record<string, string | undefined>) {}

  text(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const value = this.optional(name);
    if (value === undefined) return [...fallback];
    const items = value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    if (items.length === 0)
      this.problems.push({ option: name, expected: "a comma-separated list" });
    return items;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.text(name, fallback);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push({
      option: name,
      expected: `one of ${allowed.join(", ")}`,
    });
    return fallback;
  }

  matching(
    name: string,
    pattern: RegExp,
    description: string,
    fallback: string,
  ): string {
    const value = this.text(name, fallback);
    if (!pattern.test(value))
      this.problems.push({ option: name, expected: description });
    return value;
  }

  port(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      this.problems.push({ option: name, expected: "a port number 0-65535" });
      return fallback;
    }
    return port;
  }

  bytes(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const bytes = withUnit(value, SIZE_UNITS);
    if (bytes === undefined || bytes <= 0) {
      this.problems.push({
        option: name,
        expected: "a size such as 512MiB (B, KiB, MiB, GiB)",
      });
      return fallback;
    }
    return bytes;
  }

  durationMs(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const ms = withUnit(value, DURATION_UNITS);
    if (ms === undefined || ms <= 0) {
      this.problems.push({
        option: name,
        expected: "a duration such as 5s (ms, s, m, h)",
      });
      return fallback;
    }
    return ms;
  }

  url(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === "http:" || url.protocol === "https:") return value;
    } catch {
      // Reported below with what is expected.
    }
    this.problems.push({ option: name, expected: "an http(s) URL" });
    return undefined;
  }

  /** Throws one GatewayConfigError naming every bad variable, if there was any. */
  done(): void {
    if (this.problems.length > 0) throw new GatewayConfigError(this.problems);
  }
}

/** Reads the variables documented in sdk/gateway/README.md; throws naming every bad one. */
export function loadGatewayConfig(
  env: Record<string, string | undefined>,
): GatewayConfig {
  const read = new EnvReader(env);
  const shipTo = read.oneOf(
    "WARDEN_SHIP_TO",
    ["kafka", "http"] as const,
    "kafka",
  );
  const ingestUrl = read.url("WARDEN_INGEST_URL");
  if (
    shipTo === "http" &&
    ingestUrl === undefined &&
    env["WARDEN_INGEST_URL"] === undefined
  )
    read.problems.push({
      option: "WARDEN_INGEST_URL",
      expected: "set when WARDEN_SHIP_TO=http",
    });
  const gatewayToken = read.optional("WARDEN_INGEST_TOKEN");
  const jwksUrl = read.url("WARDEN_JWKS_URL");
  const acceptUnsigned =
    read.oneOf(
      "WARDEN_KILL_SWITCH_UNSIGNED",
      ["true", "false"] as const,
      "false",
    ) === "true";
  if (
    (jwksUrl === undefined) === !acceptUnsigned &&
    env["WARDEN_JWKS_URL"] === undefined
  )
    read.problems.push({
      option: "WARDEN_JWKS_URL",
      expected:
        "the revoker's JWKS URL (kill-switch messages are signed), or WARDEN_KILL_SWITCH_UNSIGNED=true for development",
    });
  else if (jwksUrl !== undefined && acceptUnsigned)
    read.problems.push({
      option: "WARDEN_JWKS_URL/WARDEN_KILL_SWITCH_UNSIGNED",
      expected: "at most one of them",
    });
  const natsToken = read.optional("NATS_TOKEN");
  const natsUser = read.optional("NATS_USER");
  if (natsToken !== undefined && natsUser !== undefined)
    read.problems.push({
      option: "NATS_TOKEN/NATS_USER",
      expected: "at most one of them",
    });
  const config: GatewayConfig = {
    logLevel: read.oneOf("WARDEN_LOG_LEVEL", LOG_LEVELS, "info"),
    namespace: read.matching(
      "WARDEN_NAMESPACE",
      /^[a-z0-9-]*$/u,
      "a-z, 0-9 and - only",
      "",
    ),
    tenant: read.text("WARDEN_TENANT", "default"),
    gatewayName: read.text("GATEWAY_NAME", hostname()),
    shipTo,
    kafka: {
      brokers: read.list("KAFKA_BROKERS", DEFAULT_KAFKA_BROKERS),
      clientId: read.text("KAFKA_CLIENT_ID", "warden-gateway"),
    },
    ingest:
      ingestUrl === undefined
        ? undefined
        : { url: ingestUrl, token: gatewayToken },
    gatewayToken,
    killSwitch: { jwksUrl, acceptUnsigned },
    nats: {
      servers: read.list("NATS_URL", [DEFAULT_NATS_URL]),
      token: natsToken,
      user: natsUser,
      password: read.optional("NATS_PASSWORD"),
    },
    spoolDirectory: read.text("GATEWAY_SPOOL_DIR", DEFAULT_SPOOL_DIR),
    spoolMaxBytes: read.bytes("GATEWAY_SPOOL_MAX", DEFAULT_SPOOL_MAX_BYTES),
    sendTimeoutMs: read.durationMs(
      "GATEWAY_SEND_TIMEOUT",
      DEFAULT_SEND_TIMEOUT_MS,
    ),
  };
  read.done();
  return Object.freeze(config);
}
