import {
  durationMs,
  integer,
  readAll,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  readNatsConfig,
  type CommonConfig,
  type KafkaConfig,
  type NatsConfig,
} from "@warden/shared";
import { DEFAULT_BURST_RULE, type BurstRule } from "./core/burst-rule.js";

export const DEFAULT_DETECTOR_OPS_PORT = 9103;

export interface DetectorConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly nats: NatsConfig;
  readonly burst: BurstRule;
}

export function loadDetectorConfig(
  env: Record<string, string | undefined>,
): DetectorConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_DETECTOR_OPS_PORT),
    kafka: readKafkaConfig,
    nats: readNatsConfig,
    detector: (e) =>
      readEnv(e, {
        DETECTOR_BURST_MAX_CALLS: integer(1)({
          default: DEFAULT_BURST_RULE.maxCalls,
          desc: "calls by one agent allowed per window",
        }),
        DETECTOR_BURST_WINDOW: durationMs({
          default: DEFAULT_BURST_RULE.windowMs,
          desc: "the burst rule's window of event time",
        }),
      }),
  });
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    nats: groups.nats,
    burst: Object.freeze({
      maxCalls: groups.detector.DETECTOR_BURST_MAX_CALLS,
      windowMs: groups.detector.DETECTOR_BURST_WINDOW,
    }),
  });
}
