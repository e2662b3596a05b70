import { getHeapStatistics } from "node:v8";
import { readFileSync } from "node:fs";
import {
  durationMs,
  integer,
  makeValidator,
  readAll,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  readNatsConfig,
  type CommonConfig,
  type KafkaConfig,
  type NatsConfig,
} from "@warden/shared";
import {
  DEFAULT_DETECTOR_LIMITS,
  type DetectorLimits,
} from "./core/detectors/types.js";
import { DEFAULT_POLICY, parsePolicy, type Policy } from "./core/policy.js";
import { agentsForMemory } from "./core/state-store.js";

export const DEFAULT_DETECTOR_OPS_PORT = 9103;
export const DEFAULT_MAX_AGENTS = 500_000;
/** One tenant's share of the agents kept, by default (issue 16). */
export const DEFAULT_TENANT_SHARE = 0.5;

/** The agent cap that fits this process: the smaller of 500 000 and what its memory limit holds. */
export function defaultMaxAgents(): number {
  const heapLimit = getHeapStatistics().heap_size_limit;
  const container = process.constrainedMemory();
  const limit = container > 0 && container < heapLimit ? container : heapLimit;
  return Math.min(DEFAULT_MAX_AGENTS, agentsForMemory(limit));
}
export const DEFAULT_IDLE_EVICT_MS = 2 * 60 * 60 * 1000;
export const DEFAULT_RESTORE_TAIL_MS = 60 * 60 * 1000;
export const DEFAULT_RESTORE_MAX_MESSAGES = 200_000;

export interface DetectorConfig {
  readonly common: CommonConfig;
  readonly kafka: KafkaConfig;
  readonly nats: NatsConfig;
  readonly limits: DetectorLimits;
  readonly maxAgents: number;
  readonly maxAgentsPerTenant: number;
  readonly idleEvictMs: number;
  readonly policy: Policy;
  /** Where the policy came from ("" = the built-in default). */
  readonly policyFile: string;
  /** Re-read this much of each partition's tail at start (0 = off)… */
  readonly restoreTailMs: number;
  /** …but at most this many messages per partition. */
  readonly restoreMaxMessages: number;
}

/** A JSON policy file, read and validated at start-up; empty means the built-in default. */
const policyFile = makeValidator<{ path: string; policy: Policy }>((input) => {
  const path = input.trim();
  if (path === "") return { path, policy: DEFAULT_POLICY };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(
      `a readable JSON policy file, got "${path}" (${(error as Error).message})`,
    );
  }
  return { path, policy: parsePolicy(document) };
});

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
          default: DEFAULT_DETECTOR_LIMITS.burstMaxCalls,
          desc: "calls by one agent allowed per burst window when it has no baseline",
        }),
        DETECTOR_BURST_WINDOW: durationMs({
          default: DEFAULT_DETECTOR_LIMITS.burstWindowMs,
          desc: "the burst rule's window of event time",
        }),
        DETECTOR_MAX_AGENTS: integer(1)({
          default: defaultMaxAgents(),
          desc: "agents kept in memory at most (least recently active dropped first); default from the memory limit",
        }),
        DETECTOR_MAX_AGENTS_PER_TENANT: integer(0)({
          default: 0,
          desc: "one tenant's share of DETECTOR_MAX_AGENTS (0 = half of it)",
        }),
        DETECTOR_IDLE_EVICT: durationMs({
          default: DEFAULT_IDLE_EVICT_MS,
          desc: "event time without events after which an agent's state is dropped",
        }),
        DETECTOR_RESTORE_TAIL: durationMs({
          default: DEFAULT_RESTORE_TAIL_MS,
          desc: "events re-read at start to rebuild state, by age (0 = off)",
        }),
        DETECTOR_RESTORE_MAX_MESSAGES: integer(0)({
          default: DEFAULT_RESTORE_MAX_MESSAGES,
          desc: "events re-read at start per partition at most",
        }),
        DETECTOR_POLICY_FILE: policyFile({
          default: { path: "", policy: DEFAULT_POLICY },
          desc: "JSON policy file (empty: the built-in default policy)",
        }),
      }),
  });
  const d = groups.detector;
  return Object.freeze({
    common: groups.common,
    kafka: groups.kafka,
    nats: groups.nats,
    limits: Object.freeze({
      ...DEFAULT_DETECTOR_LIMITS,
      burstMaxCalls: d.DETECTOR_BURST_MAX_CALLS,
      burstWindowMs: d.DETECTOR_BURST_WINDOW,
    }),
    maxAgents: d.DETECTOR_MAX_AGENTS,
    maxAgentsPerTenant:
      d.DETECTOR_MAX_AGENTS_PER_TENANT ||
      Math.max(1, Math.floor(d.DETECTOR_MAX_AGENTS * DEFAULT_TENANT_SHARE)),
    idleEvictMs: d.DETECTOR_IDLE_EVICT,
    policy: d.DETECTOR_POLICY_FILE.policy,
    policyFile: d.DETECTOR_POLICY_FILE.path,
    restoreTailMs: d.DETECTOR_RESTORE_TAIL,
    restoreMaxMessages: d.DETECTOR_RESTORE_MAX_MESSAGES,
  });
}
