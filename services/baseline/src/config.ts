import {
  readAll,
  readClickHouseConfig,
  readCommonConfig,
  readKafkaConfig,
  type ClickHouseConfig,
  type CommonConfig,
  type KafkaConfig,
} from "@warden/shared";

export const DEFAULT_BASELINE_OPS_PORT = 9102;

export interface BaselineConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly clickhouse: ClickHouseConfig;
}

export function loadBaselineConfig(
  env: Record<string, string | undefined>,
): BaselineConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_BASELINE_OPS_PORT),
    kafka: readKafkaConfig,
    clickhouse: readClickHouseConfig,
  });
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    clickhouse: groups.clickhouse,
  });
}
