import {
  durationMs,
  readAll,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  sizeBytes,
  type CommonConfig,
  type KafkaConfig,
} from "@warden/shared";
import {
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
} from "./core/accept.js";

export const DEFAULT_INGEST_OPS_PORT = 9101;

export interface IngestConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly maxEventBytes: number;
  readonly maxFutureSkewMs: number;
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
      }),
  });
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    maxEventBytes: groups.ingest.INGEST_MAX_EVENT_BYTES,
    maxFutureSkewMs: groups.ingest.INGEST_MAX_FUTURE_SKEW,
  });
}
