import {
  durationMs,
  integer,
  matching,
  origins,
  portNumber,
  readAll,
  readClickHouseConfig,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  readNatsConfig,
  type ClickHouseConfig,
  type CommonConfig,
  type KafkaConfig,
  type NatsConfig,
} from "@warden/shared";
import { loadDetectorConfig } from "@warden/detector";
import type { Detector } from "./api/what-if-route.js";

export const DEFAULT_BASELINE_OPS_PORT = 9102;
export const DEFAULT_SINK_MAX_BATCH_ROWS = 20_000;
export const DEFAULT_SINK_FLUSH_DELAY_MS = 200;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_BASELINE_WINDOW_MS = 14 * 86_400_000;
export const DEFAULT_BASELINE_REFRESH_MS = 5 * 60_000;
export const DEFAULT_MIN_HISTORY_EVENTS = 200;
export const DEFAULT_MIN_HISTORY_SPAN_MS = 86_400_000;
export const DEFAULT_VOCABULARY_TOP = 16;
export const DEFAULT_MIN_QUIET_HOURS = 4;
export const DEFAULT_API_PORT = 8089;

/** How the sinks batch their inserts (STYLE.md §8: bounded batchers). */
export interface SinkSettings {
  /** A flush happens once this many rows wait… */
  readonly maxBatchRows: number;
  /** …or this long after the first row arrived, whichever comes first. */
  readonly flushDelayMs: number;
}

export interface ModelSettings {
  /** The statistics cover [now - windowMs, now). */
  readonly windowMs: number;
  readonly refreshMs: number;
  /** An agent's baseline is trusted once it has this many events… */
  readonly minHistoryEvents: number;
  /** …spread over at least this long. */
  readonly minHistorySpanMs: number;
  /** Most frequent values kept per vocabulary (the count of distinct values is always kept). */
  readonly vocabularyTop: number;
  /** Activity is periodic (gets an hour-of-week profile) with at least this many idle hours of the day. */
  readonly minQuietHours: number;
}

/** The read-only query API; off while no token is set. */
export interface ApiSettings {
  readonly host: string;
  readonly port: number;
  /** Bearer token every request must carry; undefined turns the API off. */
  readonly token: string | undefined;
  /** Origins whose pages may call the API (CORS), e.g. the console served by the revoker. */
  readonly corsOrigins: readonly string[];
}

export interface BaselineConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly nats: NatsConfig;
  readonly clickhouse: ClickHouseConfig;
  readonly sink: SinkSettings;
  /** Rows older than this are dropped by ClickHouse (TTL), roll-ups included. */
  readonly retentionDays: number;
  readonly model: ModelSettings;
  readonly api: ApiSettings;
  /** The detector's settings the what-if route scores with (its DETECTOR_* variables). */
  readonly detector: Detector;
}

export function loadBaselineConfig(
  env: Record<string, string | undefined>,
): BaselineConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_BASELINE_OPS_PORT),
    kafka: readKafkaConfig,
    nats: readNatsConfig,
    clickhouse: readClickHouseConfig,
    baseline: (e) =>
      readEnv(e, {
        BASELINE_SINK_MAX_BATCH_ROWS: integer(1)({
          default: DEFAULT_SINK_MAX_BATCH_ROWS,
          desc: "rows per ClickHouse insert at most",
        }),
        BASELINE_SINK_FLUSH_DELAY: durationMs({
          default: DEFAULT_SINK_FLUSH_DELAY_MS,
          desc: "longest wait before a partial batch is inserted",
        }),
        BASELINE_RETENTION_DAYS: integer(1)({
          default: DEFAULT_RETENTION_DAYS,
          desc: "days of history ClickHouse keeps",
        }),
        BASELINE_WINDOW: durationMs({
          default: DEFAULT_BASELINE_WINDOW_MS,
          desc: "history a baseline covers",
        }),
        BASELINE_REFRESH_INTERVAL: durationMs({
          default: DEFAULT_BASELINE_REFRESH_MS,
          desc: "time between baseline refreshes",
        }),
        BASELINE_MIN_HISTORY_EVENTS: integer(1)({
          default: DEFAULT_MIN_HISTORY_EVENTS,
          desc: "events before an agent's own baseline is trusted",
        }),
        BASELINE_MIN_HISTORY_SPAN: durationMs({
          default: DEFAULT_MIN_HISTORY_SPAN_MS,
          desc: "first-to-last event span before an agent's own baseline is trusted",
        }),
        BASELINE_VOCABULARY_TOP: integer(1)({
          default: DEFAULT_VOCABULARY_TOP,
          desc: "most frequent values kept per vocabulary",
        }),
        BASELINE_API_HOST: matching(
          /^\S+$/u,
          "a host name or address",
        )({
          default: "127.0.0.1",
          desc: "address the query API binds to",
        }),
        BASELINE_API_PORT: portNumber({
          default: DEFAULT_API_PORT,
          desc: "port of the query API (0 = any)",
        }),
        BASELINE_API_TOKEN: matching(
          /^[\x21-\x7e]*$/u,
          "printable ASCII without spaces",
        )({
          default: "",
          desc: "bearer token of the query API (empty: API off)",
        }),
        BASELINE_API_CORS_ORIGINS: origins({
          default: [],
          desc: "web origins allowed to call the query API from a browser (the console's)",
        }),
        BASELINE_MIN_QUIET_HOURS: integer(1)({
          default: DEFAULT_MIN_QUIET_HOURS,
          desc: "idle hours of the day that make activity periodic",
        }),
      }),
  });
  const raw = groups.baseline;
  // The same loader as the detector's, so what-if scores with the settings the detector runs.
  const detector = loadDetectorConfig(env);
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    nats: groups.nats,
    clickhouse: groups.clickhouse,
    sink: Object.freeze({
      maxBatchRows: raw.BASELINE_SINK_MAX_BATCH_ROWS,
      flushDelayMs: raw.BASELINE_SINK_FLUSH_DELAY,
    }),
    retentionDays: raw.BASELINE_RETENTION_DAYS,
    model: Object.freeze({
      windowMs: raw.BASELINE_WINDOW,
      refreshMs: raw.BASELINE_REFRESH_INTERVAL,
      minHistoryEvents: raw.BASELINE_MIN_HISTORY_EVENTS,
      minHistorySpanMs: raw.BASELINE_MIN_HISTORY_SPAN,
      vocabularyTop: raw.BASELINE_VOCABULARY_TOP,
      minQuietHours: raw.BASELINE_MIN_QUIET_HOURS,
    }),
    detector: Object.freeze({
      limits: detector.limits,
      policy: detector.policy,
      policyFile: detector.policyFile,
      maxAgents: detector.maxAgents,
      maxAgentsPerTenant: detector.maxAgentsPerTenant,
      idleEvictMs: detector.idleEvictMs,
    }),
    api: Object.freeze({
      host: raw.BASELINE_API_HOST,
      port: raw.BASELINE_API_PORT,
      token: raw.BASELINE_API_TOKEN || undefined,
      corsOrigins: raw.BASELINE_API_CORS_ORIGINS,
    }),
  });
}
