import {
  bool,
  cleanEnv,
  makeValidator,
  str,
  url,
  type ValidatorSpec,
} from "envalid";
import { ConfigError } from "./errors.js";

/**
 * Configuration is read from the environment once, at start-up, into one frozen
 * object. Every bad or missing variable is reported together in one ConfigError.
 * Specs are grouped (common, Kafka, NATS, ClickHouse) so each service takes only
 * the groups it uses; README.md documents every variable.
 */

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const SIZE_PATTERN = /^(\d+)(b|kib|mib|gib)?$/i;
const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A duration such as `250ms`, `5s`, `2m`, `14d`; a bare number is milliseconds. */
export const durationMs = makeValidator<number>((input) => {
  const match = DURATION_PATTERN.exec(input.trim());
  if (!match)
    throw new Error(`a duration like 500ms, 5s, 2m, 1h or 14d, got "${input}"`);
  return Math.round(
    Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? "ms"] ?? 1),
  );
});

/** A size such as `65536`, `64KiB`, `16MiB`; a bare number is bytes. */
export const sizeBytes = makeValidator<number>((input) => {
  const match = SIZE_PATTERN.exec(input.trim());
  if (!match)
    throw new Error(`a size like 65536, 64KiB or 16MiB, got "${input}"`);
  return (
    Number(match[1]) * (SIZE_UNITS_BYTES[(match[2] ?? "b").toLowerCase()] ?? 1)
  );
});

/** A whole number of at least `min`. */
export function integer(min: number): ReturnType<typeof makeValidator<number>> {
  return makeValidator<number>((input) => {
    const value = Number(input.trim());
    if (!Number.isInteger(value) || value < min)
      throw new Error(`a whole number >= ${min}, got "${input}"`);
    return value;
  });
}

/** For a service's own variable types; the thrown message says what was expected. */
export { makeValidator };

/** true/false (also 1/0, yes/no), case-insensitive. */
export const flag = makeValidator<boolean>((input) => {
  const value = input.trim().toLowerCase();
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new Error(`true or false, got "${input}"`);
});

/** A comma-separated list of non-empty items. */
export const list = makeValidator<readonly string[]>((input) => {
  const items = input
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0)
    throw new Error(`a comma-separated list, got "${input}"`);
  return items;
});

/** Comma-separated web origins (`scheme://host[:port]`, nothing after), e.g. for CORS; empty: none. */
export const origins = makeValidator<readonly string[]>((input) => {
  const items = input
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const item of items) {
    let origin: string | undefined;
    try {
      origin = new URL(item).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== item)
      throw new Error(
        `comma-separated origins like https://soc.example.com:8088, got "${item}"`,
      );
  }
  return items;
});

/** A string matching `pattern`, checked with the other variables so all problems are reported together. */
export function matching(
  pattern: RegExp,
  expected: string,
): ReturnType<typeof makeValidator<string>> {
  return makeValidator<string>((input) => {
    if (!pattern.test(input)) throw new Error(`${expected}, got "${input}"`);
    return input;
  });
}

export const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;
export const DEFAULT_KAFKA_BROKERS = ["127.0.0.1:9092"] as const;
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const DEFAULT_CLICKHOUSE_DATABASE = "warden";
export const DEFAULT_CHDB_PATH = ".warden/chdb";

/** Runs envalid over `specs` and throws one ConfigError naming every offending variable. */
export function readEnv<S extends Record<string, ValidatorSpec<unknown>>>(
  env: Record<string, string | undefined>,
  specs: S,
): ReturnType<typeof cleanEnv<S>> {
  return cleanEnv(env, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(
        errors as Record<string, Error | undefined>,
      )
        .filter((entry): entry is [string, Error] => entry[1] !== undefined)
        .map(([variable, error]) => ({
          variable,
          expected: `${error.message || "is required"}${describeSpec(specs[variable])}`,
        }));
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
}

function describeSpec(spec: ValidatorSpec<unknown> | undefined): string {
  if (!spec) return "";
  const hints = [
    spec.desc,
    spec.choices ? `one of ${spec.choices.join(", ")}` : undefined,
    spec.example ? `e.g. ${spec.example}` : undefined,
  ];
  const text = hints.filter((hint) => hint !== undefined).join("; ");
  return text ? ` — expected ${text}` : "";
}

export const commonSpecs = {
  WARDEN_LOG_LEVEL: str({
    choices: LOG_LEVELS,
    default: "info",
    desc: "pino log level",
  }),
  WARDEN_OPS_HOST: str({
    default: "127.0.0.1",
    desc: "address the /metrics, /healthz, /readyz server binds to",
  }),
  WARDEN_SHUTDOWN_DEADLINE: durationMs({
    default: DEFAULT_SHUTDOWN_DEADLINE_MS,
    desc: "time allowed for a graceful stop",
  }),
  WARDEN_NAMESPACE: matching(
    /^[a-z0-9-]{0,40}$/,
    "up to 40 of a-z, 0-9 and -",
  )({
    default: "",
    desc: "prefix for every topic, group, stream, subject and bucket name (isolates tests and tenants of one cluster)",
  }),
};

/** A TCP port; 0 asks the system for any free one (envalid's own `port` refuses 0). */
export const portNumber = makeValidator<number>((input) => {
  const value = Number(input.trim());
  if (
    input.trim() === "" ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > 65_535
  ) {
    throw new Error(`a port 0-65535, got "${input}"`);
  }
  return value;
});

export function opsPortSpec(defaultPort: number): {
  WARDEN_OPS_PORT: ReturnType<typeof portNumber>;
} {
  return {
    WARDEN_OPS_PORT: portNumber({
      default: defaultPort,
      desc: "port of the /metrics, /healthz, /readyz server (0 = any)",
    }),
  };
}

export const kafkaSpecs = {
  KAFKA_BROKERS: list({
    default: DEFAULT_KAFKA_BROKERS,
    desc: "comma-separated host:port list",
  }),
  KAFKA_CLIENT_ID: str({ default: "warden", desc: "Kafka client id" }),
  KAFKA_SSL: bool({ default: false, desc: "true to connect with TLS" }),
  KAFKA_SSL_CA_FILE: str({
    default: "",
    desc: "PEM file of the CA to trust (empty: system CAs)",
  }),
  KAFKA_SASL_MECHANISM: str({
    choices: ["none", "plain", "scram-sha-256", "scram-sha-512"],
    default: "none",
  }),
  KAFKA_SASL_USERNAME: str({
    default: "",
    desc: "SASL user (the shipped ACLs name warden-<service>)",
  }),
  KAFKA_SASL_PASSWORD: str({ default: "", desc: "SASL password" }),
  KAFKA_SESSION_TIMEOUT: durationMs({
    default: 30_000,
    desc: "how long a consumer group waits for a silent member before handing its partitions on",
  }),
};

/**
 * The bounds a broker puts on a member's session timeout by default
 * (group.min.session.timeout.ms, group.max.session.timeout.ms): outside them the broker
 * refuses the join, so it is refused at start-up instead.
 */
const SESSION_TIMEOUT_MIN_MS = 6_000;
const SESSION_TIMEOUT_MAX_MS = 1_800_000;

export const natsSpecs = {
  NATS_URL: list({
    default: [DEFAULT_NATS_URL],
    desc: "comma-separated nats:// URLs",
  }),
  NATS_TOKEN: str({ default: "", desc: "auth token (empty: none)" }),
  NATS_USER: matching(
    /^$|^[A-Za-z0-9_-]{1,64}$/,
    "a user name of letters, digits, _ and - (it names the inbox prefix _INBOX_<user>)",
  )({ default: "" }),
  NATS_PASSWORD: str({ default: "", desc: "password of NATS_USER" }),
};

/**
 * With a user, replies come on `_INBOX_<user>.>`, the one inbox subject that user's NATS
 * permissions let it subscribe to (deploy/nats/warden-auth.conf): on the shared `_INBOX.>`
 * any user could read every other's replies — JetStream deliveries of decisions, KV reads.
 */
const DEFAULT_INBOX_PREFIX = "_INBOX";

/** Loopback brokers, where a PLAIN password without TLS never leaves the host. */
const LOOPBACK_BROKER = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/u;

export const clickhouseSpecs = {
  CLICKHOUSE_URL: url({
    default: undefined,
    desc: "ClickHouse HTTP URL; unset = embedded chDB",
  }),
  CLICKHOUSE_USER: str({ default: "default" }),
  CLICKHOUSE_PASSWORD: str({ default: "" }),
  CLICKHOUSE_DATABASE: matching(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    "an identifier of letters, digits and _",
  )({
    default: DEFAULT_CLICKHOUSE_DATABASE,
  }),
  CHDB_PATH: str({
    default: DEFAULT_CHDB_PATH,
    desc: "data directory of the embedded engine",
  }),
  CLICKHOUSE_CA_FILE: str({
    default: "",
    desc: "PEM file of the CA to trust for an https CLICKHOUSE_URL (empty: system CAs)",
  }),
  CLICKHOUSE_CLUSTER: matching(
    /^$|^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    "a cluster name of letters, digits and _",
  )({
    default: "",
    desc: "ClickHouse cluster whose replicas all get the schema (empty: one server)",
  }),
};

export interface CommonConfig {
  readonly logLevel: LogLevel;
  readonly opsHost: string;
  readonly opsPort: number;
  readonly shutdownDeadlineMs: number;
  readonly namespace: string;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sslCaFile: string | undefined;
  /** Consumer group session timeout: how soon a crashed member's partitions move on. */
  readonly sessionTimeoutMs: number;
  readonly sasl:
    | {
        readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
        readonly username: string;
        readonly password: string;
      }
    | undefined;
}

export interface NatsConfig {
  readonly servers: readonly string[];
  readonly token: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Subject prefix of this client's reply inboxes: `_INBOX_<user>` with a user, else `_INBOX`. */
  readonly inboxPrefix: string;
}

export interface ClickHouseConfig {
  readonly url: string | undefined;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly chdbPath: string;
  /** Trusted CA for an https URL; undefined means the system's. */
  readonly caFile: string | undefined;
  /** Replicated schema on every replica of this cluster; undefined means one server. */
  readonly cluster: string | undefined;
}

export function readCommonConfig(
  env: Record<string, string | undefined>,
  defaultOpsPort: number,
): CommonConfig {
  const raw = readEnv(env, { ...commonSpecs, ...opsPortSpec(defaultOpsPort) });
  return {
    logLevel: raw.WARDEN_LOG_LEVEL,
    opsHost: raw.WARDEN_OPS_HOST,
    opsPort: raw.WARDEN_OPS_PORT,
    shutdownDeadlineMs: raw.WARDEN_SHUTDOWN_DEADLINE,
    namespace: raw.WARDEN_NAMESPACE,
  };
}

export function readKafkaConfig(
  env: Record<string, string | undefined>,
): KafkaConfig {
  const raw = readEnv(env, kafkaSpecs);
  const mechanism = raw.KAFKA_SASL_MECHANISM;
  const problems: { variable: string; expected: string }[] = [];
  if (
    mechanism !== "none" &&
    (raw.KAFKA_SASL_USERNAME === "" || raw.KAFKA_SASL_PASSWORD === "")
  )
    problems.push({
      variable: "KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD",
      expected: `both set when KAFKA_SASL_MECHANISM=${mechanism}`,
    });
  // Credentials that would be silently ignored: the client would connect anonymously.
  if (
    mechanism === "none" &&
    (raw.KAFKA_SASL_USERNAME !== "" || raw.KAFKA_SASL_PASSWORD !== "")
  )
    problems.push({
      variable: "KAFKA_SASL_MECHANISM",
      expected:
        "plain, scram-sha-256 or scram-sha-512 when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set",
    });
  // PLAIN sends the password as it is: only over TLS, or to a broker on this host.
  if (
    mechanism === "plain" &&
    !raw.KAFKA_SSL &&
    !raw.KAFKA_BROKERS.every((broker) => LOOPBACK_BROKER.test(broker))
  )
    problems.push({
      variable: "KAFKA_SASL_MECHANISM",
      expected:
        "scram-sha-256 or scram-sha-512, or KAFKA_SSL=true: plain would send the password unencrypted to a broker off this host",
    });
  if (problems.length > 0) throw new ConfigError(problems);
  if (
    raw.KAFKA_SESSION_TIMEOUT < SESSION_TIMEOUT_MIN_MS ||
    raw.KAFKA_SESSION_TIMEOUT > SESSION_TIMEOUT_MAX_MS
  ) {
    throw new ConfigError([
      {
        variable: "KAFKA_SESSION_TIMEOUT",
        expected: `a duration from 6s to 30m (the broker's default group.min/max.session.timeout.ms), got ${raw.KAFKA_SESSION_TIMEOUT} ms`,
      },
    ]);
  }
  return {
    brokers: raw.KAFKA_BROKERS,
    clientId: raw.KAFKA_CLIENT_ID,
    ssl: raw.KAFKA_SSL,
    sslCaFile: raw.KAFKA_SSL_CA_FILE || undefined,
    sessionTimeoutMs: raw.KAFKA_SESSION_TIMEOUT,
    sasl:
      mechanism === "none"
        ? undefined
        : {
            mechanism: mechanism,
            username: raw.KAFKA_SASL_USERNAME,
            password: raw.KAFKA_SASL_PASSWORD,
          },
  };
}

export function readNatsConfig(
  env: Record<string, string | undefined>,
): NatsConfig {
  const raw = readEnv(env, natsSpecs);
  const problems: { variable: string; expected: string }[] = [];
  if (raw.NATS_TOKEN !== "" && raw.NATS_USER !== "")
    problems.push({
      variable: "NATS_TOKEN/NATS_USER",
      expected: "a token or a user and password, not both",
    });
  if (raw.NATS_USER !== "" && raw.NATS_PASSWORD === "")
    problems.push({
      variable: "NATS_PASSWORD",
      expected: "set with NATS_USER",
    });
  if (raw.NATS_USER === "" && raw.NATS_PASSWORD !== "")
    problems.push({
      variable: "NATS_USER",
      expected: "set with NATS_PASSWORD",
    });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    servers: raw.NATS_URL,
    token: raw.NATS_TOKEN || undefined,
    user: raw.NATS_USER || undefined,
    password: raw.NATS_PASSWORD || undefined,
    inboxPrefix: raw.NATS_USER
      ? `${DEFAULT_INBOX_PREFIX}_${raw.NATS_USER}`
      : DEFAULT_INBOX_PREFIX,
  };
}

export function readClickHouseConfig(
  env: Record<string, string | undefined>,
): ClickHouseConfig {
  const raw = readEnv(env, clickhouseSpecs);
  const problems: { variable: string; expected: string }[] = [];
  // chDB is one embedded engine: a cluster or a CA only mean something for a server.
  if (raw.CLICKHOUSE_CLUSTER && !raw.CLICKHOUSE_URL)
    problems.push({
      variable: "CLICKHOUSE_CLUSTER",
      expected: "set only with CLICKHOUSE_URL (embedded chDB has no cluster)",
    });
  if (raw.CLICKHOUSE_CA_FILE && !raw.CLICKHOUSE_URL?.startsWith("https:"))
    problems.push({
      variable: "CLICKHOUSE_CA_FILE",
      expected: "set only with an https:// CLICKHOUSE_URL",
    });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    url: raw.CLICKHOUSE_URL,
    user: raw.CLICKHOUSE_USER,
    password: raw.CLICKHOUSE_PASSWORD,
    database: raw.CLICKHOUSE_DATABASE,
    chdbPath: raw.CHDB_PATH,
    caFile: raw.CLICKHOUSE_CA_FILE || undefined,
    cluster: raw.CLICKHOUSE_CLUSTER || undefined,
  };
}

/**
 * Reads several groups at once so one start-up error lists the problems of all of
 * them, not just the first group that failed.
 */
export function readAll<
  T extends Record<
    string,
    (env: Record<string, string | undefined>) => unknown
  >,
>(
  env: Record<string, string | undefined>,
  readers: T,
): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const problems: { variable: string; expected: string }[] = [];
  const result: Record<string, unknown> = {};
  for (const [key, read] of Object.entries(readers)) {
    try {
      result[key] = read(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(result) as { readonly [K in keyof T]: ReturnType<T[K]> };
}
