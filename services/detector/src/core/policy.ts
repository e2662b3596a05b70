import { Ajv2020 } from "ajv/dist/2020.js";
import type { DenyRule } from "./detectors/rules.js";
import { DETECTOR_NAMES, type DetectorName } from "./detectors/types.js";

export const ACTIONS = ["alert", "step_up", "revoke"] as const;
export type Action = (typeof ACTIONS)[number];
/** Escalation order: a later decision in one incident must rank higher. */
export const ACTION_RANK: Readonly<Record<Action, number>> = {
  alert: 1,
  step_up: 2,
  revoke: 3,
};

export interface DetectorPolicy {
  /** Multiplies the detector's score before combination (0 mutes it), default 1. */
  readonly weight?: number;
  /** At least this action whenever the detector's score reaches `minScore` (default 1). */
  readonly action?: Action;
  readonly minScore?: number;
}

/** Scoped allow-list entry; every field given must match. */
export interface Suppression {
  readonly id: string;
  readonly tenant?: string;
  readonly agent?: string;
  readonly agentKind?: string;
  /** Drop only these detectors' scores; without it the whole decision is dropped. */
  readonly detectors?: readonly DetectorName[];
  /** Whole-decision rules: only decisions with these actions (default all). */
  readonly actions?: readonly Action[];
  /** Event-time window [from, until), RFC 3339. */
  readonly from?: string;
  readonly until?: string;
}

export interface Policy {
  readonly version: 1;
  /** Lowest risk for each action. */
  readonly thresholds: Readonly<Record<Action, number>>;
  readonly detectors: Readonly<Partial<Record<DetectorName, DetectorPolicy>>>;
  readonly suppressions: readonly Suppression[];
  /** Static deny-list: a match scores 1 on the `deny_rule` detector. */
  readonly denyRules: readonly DenyRule[];
  /** An incident closes after this long (event time) without risk above alert − hysteresis. */
  readonly cooldownSeconds: number;
  readonly hysteresis: number;
  /** Decide and record (Kafka, logs) but do not publish to the revoker's stream. */
  readonly dryRun: boolean;
}

/** Weight of every statistical detector in the default policy: alone, it can at most step up. */
const SINGLE_SIGNAL_WEIGHT = 0.9;

/**
 * The default: one strong signal alerts, a near-certain one steps up, revocation needs a
 * runaway loop or several strong signals together (so a healthy agent is almost never revoked).
 */
export const DEFAULT_POLICY: Policy = {
  version: 1,
  thresholds: { alert: 0.6, step_up: 0.85, revoke: 0.98 },
  detectors: {
    burst: { action: "revoke", minScore: 1 },
    ...Object.fromEntries(
      DETECTOR_NAMES.filter((name) => name !== "burst").map((name) => [
        name,
        { weight: SINGLE_SIGNAL_WEIGHT },
      ]),
    ),
    // A deny-list match steps up at least; a policy that wants it to revoke says so.
    deny_rule: { weight: SINGLE_SIGNAL_WEIGHT, action: "step_up", minScore: 1 },
  },
  suppressions: [],
  denyRules: [],
  cooldownSeconds: 900,
  hysteresis: 0.1,
  dryRun: false,
};

const unit = { type: "number", minimum: 0, maximum: 1 } as const;
const actionSchema = { enum: [...ACTIONS] } as const;
const stringList = {
  type: "array",
  minItems: 1,
  items: { type: "string", minLength: 1 },
} as const;
export const POLICY_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["version"],
  properties: {
    version: { const: 1 },
    thresholds: {
      type: "object",
      additionalProperties: false,
      required: [...ACTIONS],
      properties: { alert: unit, step_up: unit, revoke: unit },
    },
    detectors: {
      type: "object",
      propertyNames: { enum: [...DETECTOR_NAMES] },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: { weight: unit, action: actionSchema, minScore: unit },
      },
    },
    suppressions: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id"],
        properties: {
          id: { type: "string", minLength: 1 },
          tenant: { type: "string" },
          agent: { type: "string" },
          agentKind: { type: "string" },
          detectors: { type: "array", items: { enum: [...DETECTOR_NAMES] } },
          actions: { type: "array", items: actionSchema },
          from: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T" },
          until: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T" },
        },
      },
    },
    denyRules: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id"],
        properties: {
          id: { type: "string", minLength: 1 },
          tenant: { type: "string" },
          agent: { type: "string" },
          agentKind: { type: "string" },
          actions: stringList,
          verbs: stringList,
          resourceTypes: stringList,
          sensitivities: stringList,
          scopes: stringList,
          sourceIps: stringList,
        },
      },
    },
    cooldownSeconds: { type: "number", minimum: 0 },
    hysteresis: unit,
    dryRun: { type: "boolean" },
  },
} as const;

const validatePolicyShape = new Ajv2020({
  strict: true,
  allErrors: true,
}).compile(POLICY_SCHEMA);

export class PolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid detector policy: ${problems.join("; ")}`);
    this.name = "PolicyError";
  }
}

/** Validates a policy document and fills in the defaults; throws PolicyError naming every problem. */
export function parsePolicy(document: unknown): Policy {
  if (!validatePolicyShape(document))
    throw new PolicyError(
      (validatePolicyShape.errors ?? []).map(
        (e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`,
      ),
    );
  const given = document as Partial<Policy>;
  // Detector entries merge over the default's, field by field, so a file can change one setting.
  const detectors: Partial<Record<DetectorName, DetectorPolicy>> = {
    ...DEFAULT_POLICY.detectors,
  };
  for (const [name, entry] of Object.entries(given.detectors ?? {}))
    detectors[name as DetectorName] = {
      ...DEFAULT_POLICY.detectors[name as DetectorName],
      ...entry,
    };
  const policy: Policy = { ...DEFAULT_POLICY, ...given, detectors };
  const { alert, step_up, revoke } = policy.thresholds;
  const problems: string[] = [];
  if (!(alert <= step_up && step_up <= revoke))
    problems.push("/thresholds must satisfy alert <= step_up <= revoke");
  for (const rule of policy.suppressions)
    for (const bound of [rule.from, rule.until])
      if (bound !== undefined && Number.isNaN(Date.parse(bound)))
        problems.push(`/suppressions ${rule.id}: ${bound} is not a date-time`);
  if (problems.length > 0) throw new PolicyError(problems);
  return Object.freeze(policy);
}
