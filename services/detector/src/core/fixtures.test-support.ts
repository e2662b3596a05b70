// Builders shared by the core's unit tests (not part of the service).
import {
  VOCABULARY_DIMENSIONS,
  type BaselineModel,
  type CanonicalEvent,
  type RobustStats,
  type Vocabulary,
  type VocabularyDimension,
} from "@warden/shared";

export const T0 = Date.parse("2026-11-23T10:00:00.000Z");

type EventOverrides = Partial<Omit<CanonicalEvent, "agent" | "action">> & {
  agent?: Partial<CanonicalEvent["agent"]>;
  action?: Partial<CanonicalEvent["action"]>;
};

let counter = 0;

/** A canonical event of `agentId` at `timeMs`; ids are unique unless `event_id` is given. */
export function event(
  agentId: string,
  timeMs: number,
  overrides: EventOverrides = {},
): CanonicalEvent {
  counter++;
  const { agent, action, ...rest } = overrides;
  return {
    schema: "agent-event/v1",
    event_id: `e-${agentId}-${timeMs}-${counter}`,
    time: new Date(timeMs).toISOString(),
    time_ms: timeMs,
    received_ms: timeMs,
    late: false,
    tenant: "acme",
    agent: { id: agentId, kind: "support", ...agent },
    credential: { id: `key-${agentId}`, type: "api_key" },
    action: { name: "crm.read", verb: "read", ...action },
    outcome: "success",
    delegation: [agentId],
    chain_depth: 1,
    chain_root: agentId,
    attributes: {},
    ...rest,
  };
}

export function stats(median: number, mad: number, p99: number): RobustStats {
  return { median, mad, p95: p99, p99, max: p99 };
}

export function vocabulary(...values: string[]): Vocabulary {
  return {
    distinct: values.length,
    total: values.length * 10,
    top: values.map((value) => [value, 10] as const),
  };
}

/** A trusted agent baseline: ~10 calls a minute of crm.read on internal tickets from one IP. */
export function baseline(
  overrides: Partial<Omit<BaselineModel, "vocabulary">> & {
    vocabulary?: Partial<Record<VocabularyDimension, Vocabulary>>;
  } = {},
): BaselineModel {
  const { vocabulary: vocabularyOverrides, ...rest } = overrides;
  const empty = Object.fromEntries(
    VOCABULARY_DIMENSIONS.map((d) => [d, vocabulary()]),
  ) as Record<VocabularyDimension, Vocabulary>;
  return {
    version: 1,
    scope: {
      level: "agent",
      tenant: "acme",
      agentId: "bot",
      agentKind: "support",
    },
    computedAtMs: T0 - 3_600_000,
    windowStartMs: T0 - 7 * 86_400_000,
    windowEndMs: T0 - 3_600_000,
    history: {
      events: 50_000,
      agents: 1,
      firstSeenMs: T0 - 7 * 86_400_000,
      lastSeenMs: T0 - 3_600_000,
      activeMinutes: 5_000,
      activeHours: 150,
    },
    trusted: true,
    ratePerMinute: stats(10, 2, 20),
    ratePerHour: stats(300, 50, 600),
    hourOfWeek: null,
    activeHoursOfDay: 0xffffff,
    bytesPerCall: stats(1_000, 200, 5_000),
    bytesPerHour: stats(300_000, 50_000, 2_000_000),
    bytesPerCallByVerb: {},
    bytesPerCallBySensitivity: { internal: stats(1_000, 200, 5_000) },
    deniedRate: 0.01,
    errorRate: 0.01,
    maxChainDepth: 2,
    vocabulary: {
      ...empty,
      actions: vocabulary("crm.read", "crm.update"),
      verbs: vocabulary("read", "write"),
      resourceTypes: vocabulary("ticket"),
      sensitivities: vocabulary("internal"),
      sourceIps: vocabulary("10.0.0.1"),
      scopes: vocabulary("crm:read"),
      delegationParents: vocabulary("planner"),
      ...vocabularyOverrides,
    },
    ...rest,
  };
}
