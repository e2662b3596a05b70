import {
  ConfigError,
  durationMs,
  flag,
  integer,
  makeValidator,
  matching,
  portNumber,
  readAll,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  sizeBytes,
  type CommonConfig,
  type KafkaConfig,
} from "@warden/shared";
import {
  DEFAULT_LATE_AFTER_MS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
} from "./core/accept.js";
import {
  DEFAULT_DEDUP_MAX_ENTRIES,
  DEFAULT_DEDUP_WINDOW_MS,
} from "./core/dedup.js";
import {
  GATEWAY_TOKENS_FORMAT,
  parseGatewayTokens,
  type GatewayCredential,
} from "./core/gateway-tokens.js";
import {
  DEFAULT_HTTP_MAX_BODY_BYTES,
  DEFAULT_HTTP_MAX_IN_FLIGHT_BYTES,
  DEFAULT_HTTP_MAX_LINES,
  DEFAULT_HTTP_RATE_LIMIT,
  DEFAULT_HTTP_RATE_WINDOW_MS,
  type HttpIngestLimits,
} from "./adapters/http-ingest.js";

import {
  OTLP_SENSITIVITY_FORMAT,
  parseSensitivityRules,
  type OtlpMappingConfig,
} from "./core/mappers/otlp-genai.js";

export const DEFAULT_INGEST_OPS_PORT = 9101;
export const DEFAULT_INGEST_HTTP_PORT = 8081;
/** OTLP/gRPC's registered port, so an exporter's default endpoint needs only the host. */
export const DEFAULT_INGEST_OTLP_GRPC_PORT = 4317;

export interface IngestConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly maxEventBytes: number;
  readonly maxFutureSkewMs: number;
  readonly lateAfterMs: number;
  readonly dedupWindowMs: number;
  readonly dedupMaxEntries: number;
  /** Partitions whose batches are processed at once (overlaps produce and commit round trips). */
  readonly concurrentPartitions: number;
  /**
   * Gateway credentials, each bound to a tenant (issue 16). Empty means unauthenticated,
   * which only loopback serves; otherwise HTTP posts need a bearer token and Kafka records a
   * signature (shared/src/audit-signature.ts), and the credential's tenant is stamped.
   */
  readonly httpTokens: readonly GatewayCredential[];
  readonly httpLimits: HttpIngestLimits;
  /** How OTLP GenAI / MCP spans become audit events (`POST /v1/traces`). */
  readonly otlp: OtlpMappingConfig;
  /** Where HTTP ingest listens; undefined when it is off. */
  readonly httpListen:
    { readonly host: string; readonly port: number } | undefined;
  /** Where OTLP/gRPC (TraceService/Export) listens; undefined when it is off. */
  readonly otlpGrpcListen:
    { readonly host: string; readonly port: number } | undefined;
}

const gatewayTokens = (spec: {
  default: readonly GatewayCredential[];
  desc: string;
}) => makeValidator<readonly GatewayCredential[]>(parseGatewayTokens)(spec);

const sensitivityRules = (spec: {
  default: OtlpMappingConfig["sensitivity"];
  desc: string;
}) =>
  makeValidator<OtlpMappingConfig["sensitivity"]>(parseSensitivityRules)(spec);

const ATTRIBUTE_NAME = /^([A-Za-z0-9_.-]{1,128})?$/u;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

export function loadIngestConfig(
  env: Record<string, string | undefined>,
): IngestConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_INGEST_OPS_PORT),
    kafka: readKafkaConfig,
    ingest: (e) =>
      readEnv(e, {
        INGEST_MAX_EVENT_BYTES: sizeBytes({
          default: DEFAULT_MAX_EVENT_BYTES,
          desc: "largest accepted message",
        }),
        INGEST_MAX_FUTURE_SKEW: durationMs({
          default: DEFAULT_MAX_FUTURE_SKEW_MS,
          desc: "how far ahead an event time may be",
        }),
        INGEST_LATE_AFTER: durationMs({
          default: DEFAULT_LATE_AFTER_MS,
          desc: "events older than this on arrival are flagged late",
        }),
        INGEST_DEDUP_WINDOW: durationMs({
          default: DEFAULT_DEDUP_WINDOW_MS,
          desc: "how long an event id is remembered",
        }),
        INGEST_DEDUP_MAX_ENTRIES: integer(1)({
          default: DEFAULT_DEDUP_MAX_ENTRIES,
          desc: "most event ids remembered at once",
        }),
        INGEST_CONCURRENT_PARTITIONS: integer(1)({
          default: 3,
          desc: "partitions processed at once by one instance",
        }),
        INGEST_HTTP_ENABLED: flag({
          default: false,
          desc: "serve POST /v1/events",
        }),
        INGEST_HTTP_HOST: matching(
          /^\S{1,255}$/u,
          "a host name or address",
        )({
          default: "127.0.0.1",
        }),
        INGEST_HTTP_PORT: portNumber({
          default: DEFAULT_INGEST_HTTP_PORT,
          desc: "HTTP ingest port (0 = any)",
        }),
        INGEST_GATEWAY_TOKENS: gatewayTokens({
          default: [],
          desc: `comma-separated ${GATEWAY_TOKENS_FORMAT}`,
        }),
        INGEST_HTTP_MAX_BODY_BYTES: sizeBytes({
          default: DEFAULT_HTTP_MAX_BODY_BYTES,
          desc: "largest request body, after gunzip",
        }),
        INGEST_HTTP_MAX_LINES: integer(1)({
          default: DEFAULT_HTTP_MAX_LINES,
          desc: "most messages in one request",
        }),
        INGEST_HTTP_MAX_IN_FLIGHT_BYTES: sizeBytes({
          default: DEFAULT_HTTP_MAX_IN_FLIGHT_BYTES,
          desc: "request bytes held by all requests in progress",
        }),
        INGEST_HTTP_RATE_LIMIT: integer(1)({
          default: DEFAULT_HTTP_RATE_LIMIT,
          desc: "requests per token per window",
        }),
        INGEST_HTTP_RATE_WINDOW: durationMs({
          default: DEFAULT_HTTP_RATE_WINDOW_MS,
          desc: "rate-limit window",
        }),
        INGEST_OTLP_CREDENTIAL_ATTRIBUTE: matching(
          ATTRIBUTE_NAME,
          "an attribute name (letters, digits, _ . -) or empty",
        )({
          default: "",
          desc: "span or resource attribute naming the credential; empty: marked absent",
        }),
        INGEST_OTLP_TENANT_ATTRIBUTE: matching(
          ATTRIBUTE_NAME,
          "an attribute name (letters, digits, _ . -) or empty",
        )({
          default: "",
          desc: "resource attribute naming the tenant; a bound credential's tenant must match",
        }),
        INGEST_OTLP_GRPC_ENABLED: flag({
          default: false,
          desc: "serve OTLP/gRPC TraceService/Export",
        }),
        INGEST_OTLP_GRPC_HOST: matching(
          /^\S{1,255}$/u,
          "a host name or address",
        )({
          default: "127.0.0.1",
        }),
        INGEST_OTLP_GRPC_PORT: portNumber({
          default: DEFAULT_INGEST_OTLP_GRPC_PORT,
          desc: "OTLP/gRPC port (0 = any)",
        }),
        INGEST_OTLP_SENSITIVITY: sensitivityRules({
          default: [],
          desc: OTLP_SENSITIVITY_FORMAT,
        }),
      }),
  });
  const ingest = groups.ingest;
  if (env["INGEST_HTTP_TOKENS"] !== undefined)
    throw new ConfigError([
      {
        variable: "INGEST_HTTP_TOKENS",
        expected: `nothing: it became INGEST_GATEWAY_TOKENS, whose entries also bind a tenant (${GATEWAY_TOKENS_FORMAT})`,
      },
    ]);
  for (const [enabled, variable, host] of [
    [ingest.INGEST_HTTP_ENABLED, "INGEST_HTTP_HOST", ingest.INGEST_HTTP_HOST],
    [
      ingest.INGEST_OTLP_GRPC_ENABLED,
      "INGEST_OTLP_GRPC_HOST",
      ingest.INGEST_OTLP_GRPC_HOST,
    ],
  ] as const)
    if (
      enabled &&
      ingest.INGEST_GATEWAY_TOKENS.length === 0 &&
      !isLoopback(host)
    )
      throw new ConfigError([
        {
          variable: "INGEST_GATEWAY_TOKENS",
          expected: `at least one gateway token when ${variable} (${host}) is not loopback; unauthenticated ingest is served on loopback only`,
        },
      ]);
  if (
    ingest.INGEST_HTTP_ENABLED &&
    ingest.INGEST_OTLP_GRPC_ENABLED &&
    ingest.INGEST_HTTP_PORT !== 0 &&
    ingest.INGEST_HTTP_PORT === ingest.INGEST_OTLP_GRPC_PORT
  )
    throw new ConfigError([
      {
        variable: "INGEST_OTLP_GRPC_PORT",
        expected: `a port other than INGEST_HTTP_PORT (${ingest.INGEST_HTTP_PORT}): each listens on its own`,
      },
    ]);
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    maxEventBytes: ingest.INGEST_MAX_EVENT_BYTES,
    maxFutureSkewMs: ingest.INGEST_MAX_FUTURE_SKEW,
    lateAfterMs: ingest.INGEST_LATE_AFTER,
    dedupWindowMs: ingest.INGEST_DEDUP_WINDOW,
    dedupMaxEntries: ingest.INGEST_DEDUP_MAX_ENTRIES,
    concurrentPartitions: ingest.INGEST_CONCURRENT_PARTITIONS,
    httpTokens: ingest.INGEST_GATEWAY_TOKENS,
    httpLimits: {
      maxBodyBytes: ingest.INGEST_HTTP_MAX_BODY_BYTES,
      rateLimit: ingest.INGEST_HTTP_RATE_LIMIT,
      rateWindowMs: ingest.INGEST_HTTP_RATE_WINDOW,
      maxLines: ingest.INGEST_HTTP_MAX_LINES,
      maxInFlightBytes: ingest.INGEST_HTTP_MAX_IN_FLIGHT_BYTES,
    },
    otlp: Object.freeze({
      credentialAttribute: ingest.INGEST_OTLP_CREDENTIAL_ATTRIBUTE || undefined,
      tenantAttribute: ingest.INGEST_OTLP_TENANT_ATTRIBUTE || undefined,
      sensitivity: ingest.INGEST_OTLP_SENSITIVITY,
    }),
    httpListen: ingest.INGEST_HTTP_ENABLED
      ? { host: ingest.INGEST_HTTP_HOST, port: ingest.INGEST_HTTP_PORT }
      : undefined,
    otlpGrpcListen: ingest.INGEST_OTLP_GRPC_ENABLED
      ? {
          host: ingest.INGEST_OTLP_GRPC_HOST,
          port: ingest.INGEST_OTLP_GRPC_PORT,
        }
      : undefined,
  });
}
