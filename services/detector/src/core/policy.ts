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
  /** Multiplies the detector's bits before combination (0 mutes it), default 1. */
  readonly weight?: number;
  /** At least this action whenever the detector's evidence reaches `minBits` (default 0). */
  readonly action?: Action;
  readonly minBits?: number;
  /**
   * The strongest action this detector's evidence can lead to while no other family corroborates
   * it (risk.ts capAction): a weak, single-signal detector (an hour seldom worked, refused calls)
   * holds or alerts alone and revokes only together with other evidence. Default: no ceiling.
   */
  readonly ceiling?: Action;
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

/** What a tenant may change (`tenants` in the policy file); the rest is the policy's. */
export interface TenantOverride {
  readonly budgets?: Partial<Record<Action, number>>;
  readonly minBits?: Partial<Record<Action, number>>;
  readonly detectors?: Readonly<Partial<Record<DetectorName, DetectorPolicy>>>;
  readonly evidenceHalfLifeSeconds?: number;
  readonly cooldownSeconds?: number;
  readonly dryRun?: boolean;
}

export interface Policy {
  readonly version: 2;
  /**
   * False-alarm budgets: how often each action may fire on a healthy agent, per agent-day.
   * risk.ts turns them into cut-offs in bits from each baseline's own event rate.
   */
  readonly budgets: Readonly<Record<Action, number>>;
  /** Cut-offs never go below these (bits), whatever the budget and the stakes. */
  readonly minBits: Readonly<Record<Action, number>>;
  /** Evidence within an incident halves over this much event time (the sequential test's memory). */
  readonly evidenceHalfLifeSeconds: number;
  readonly detectors: Readonly<Partial<Record<DetectorName, DetectorPolicy>>>;
  readonly suppressions: readonly Suppression[];
  /** Static deny-list: a match is evidence on the `deny_rule` detector. */
  readonly denyRules: readonly DenyRule[];
  /** An incident closes after this long (event time) without evidence above alert − hysteresis. */
  readonly cooldownSeconds: number;
  /** Bits below the alert cut-off that still keep an incident open. */
  readonly hysteresis: number;
  /** Decide and record (Kafka, logs) but do not publish to the revoker's stream. */
  readonly dryRun: boolean;
  /** Per-tenant overrides, as given in the file (resolved by policyFor). */
  readonly tenants: Readonly<Record<string, TenantOverride>>;
  /**
   * Incident evidence (bits) another detector family needs before it lifts a detector's
   * `ceiling`: one new fact's stray bit does not make a lone signal corroborated.
   */
  readonly corroborationBits: number;
}

/**
 * The default: revoke fires on a healthy agent less than once per 10,000 agent-days, an alert
 * less than once per 50 (the budgets), a step-up in between. The rules that act on
 * their own: a runaway loop and a credential shared across many networks revoke, a deny-list
 * match or a payment to a never-seen counterparty holds for approval.
 */
export const DEFAULT_POLICY: Policy = {
  version: 2,
  budgets: { alert: 1 / 50, step_up: 1 / 500, revoke: 1 / 10_000 },
  minBits: { alert: 8, step_up: 10, revoke: 12 },
  evidenceHalfLifeSeconds: 600,
  detectors: {
    burst: { action: "revoke", minBits: 0 },
    credential_misuse: { action: "revoke", minBits: 20 },
    credential_lifetime: { action: "step_up", minBits: 16 },
    counterparty_novelty: { action: "step_up", minBits: 6 },
    deny_rule: { action: "step_up", minBits: 0 },
    // Off by default. Tuning seeds 3 and 5 (150 agents, after the Good–Turing sample-size fix):
    // turned on it finds 3 of 4 sequence hijacks but new pairs of known tools come in clusters
    // on healthy agents too (a nightly batch, a weekly report, a CI run's first deploy step),
    // each pair counted as a new fact: benign decisions per 50 agent-days 0.16 → 0.62 (seed 3)
    // and 0.51 → 1.15 with 2 more false revocations (seed 5). A tenant can turn it on.
    transition_novelty: { weight: 0 },
    // One signal about when, how often refused, how much over days or how long silent is not
    // proof enough to cut an agent off: alone these hold (step-up) at most and revoke only with
    // another family's evidence. Crossgen seed 1 and held-out seed 9001: off_hours alone revoked
    // business-hours agents' late sessions, denied_probing alone a security scanner's full scan.
    off_hours: { ceiling: "step_up" },
    denied_probing: { ceiling: "step_up" },
    slow_drift: { ceiling: "step_up" },
    dormant_identity: { ceiling: "step_up" },
    llm_spend: { ceiling: "step_up" },
  },
  suppressions: [],
  denyRules: [],
  cooldownSeconds: 900,
  hysteresis: 2,
  dryRun: false,
  tenants: {},
  corroborationBits: 8,
};

const bits = { type: "number", minimum: 0, maximum: 256 } as const;
const budget = {
  type: "number",
  exclusiveMinimum: 0,
  maximum: 1000,
} as const;
const perAction = (value: object, required: boolean) =>
  ({
    type: "object",
    additionalProperties: false,
    ...(required ? { required: [...ACTIONS] } : {}),
    properties: { alert: value, step_up: value, revoke: value },
  }) as const;
const detectorsSchema = {
  type: "object",
  propertyNames: { enum: [...DETECTOR_NAMES] },
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    properties: {
      weight: { type: "number", minimum: 0, maximum: 16 },
      action: { enum: [...ACTIONS] },
      minBits: bits,
      ceiling: { enum: [...ACTIONS] },
    },
  },
} as const;
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
    version: { enum: [1, 2] },
    budgets: perAction(budget, true),
    minBits: perAction(bits, true),
    evidenceHalfLifeSeconds: { type: "number", minimum: 0 },
    detectors: detectorsSchema,
    tenants: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          budgets: perAction(budget, false),
          minBits: perAction(bits, false),
          detectors: detectorsSchema,
          evidenceHalfLifeSeconds: { type: "number", minimum: 0 },
          cooldownSeconds: { type: "number", minimum: 0 },
          dryRun: { type: "boolean" },
        },
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
    hysteresis: bits,
    dryRun: { type: "boolean" },
    corroborationBits: bits,
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

/** Fields of version 1 (risk in [0, 1]) that version 2 replaced; named in the error. */
const VERSION_1_FIELDS = ["thresholds"] as const;

function version1Problems(document: unknown): string[] {
  if (typeof document !== "object" || document === null) return [];
  const given = document as Record<string, unknown>;
  if (given["version"] !== 1) return [];
  const problems = VERSION_1_FIELDS.filter((field) => field in given).map(
    (field) =>
      `/${field} is a version 1 setting (risk in [0, 1]); version 2 states budgets (decisions per healthy agent-day) and minBits instead`,
  );
  const detectors = given["detectors"];
  if (typeof detectors === "object" && detectors !== null)
    for (const [name, entry] of Object.entries(detectors))
      if (typeof entry === "object" && entry !== null && "minScore" in entry)
        problems.push(
          `/detectors/${name}/minScore is a version 1 setting; version 2 uses minBits (evidence in bits)`,
        );
  return problems;
}

function mergeDetectors(
  base: Policy["detectors"],
  given: Policy["detectors"] | undefined,
): Policy["detectors"] {
  // Detector entries merge over the base's, field by field, so a file can change one setting.
  const detectors: Partial<Record<DetectorName, DetectorPolicy>> = { ...base };
  for (const [name, entry] of Object.entries(given ?? {}))
    detectors[name as DetectorName] = {
      ...base[name as DetectorName],
      ...entry,
    };
  return detectors;
}

function orderProblems(path: string, policy: Policy): string[] {
  const problems: string[] = [];
  const { alert, step_up, revoke } = policy.budgets;
  if (!(alert >= step_up && step_up >= revoke))
    problems.push(`${path}/budgets must satisfy alert >= step_up >= revoke`);
  const floors = policy.minBits;
  if (!(floors.alert <= floors.step_up && floors.step_up <= floors.revoke))
    problems.push(`${path}/minBits must satisfy alert <= step_up <= revoke`);
  // An override that acts above the detector's own ceiling would contradict it.
  for (const [name, entry] of Object.entries(policy.detectors))
    if (
      entry?.ceiling &&
      entry.action &&
      ACTION_RANK[entry.action] > ACTION_RANK[entry.ceiling]
    )
      problems.push(
        `${path}/detectors/${name}: action ${entry.action} is above its ceiling ${entry.ceiling}`,
      );
  return problems;
}

function applyOverride(policy: Policy, override: TenantOverride): Policy {
  return {
    ...policy,
    ...(override.evidenceHalfLifeSeconds !== undefined
      ? { evidenceHalfLifeSeconds: override.evidenceHalfLifeSeconds }
      : {}),
    ...(override.cooldownSeconds !== undefined
      ? { cooldownSeconds: override.cooldownSeconds }
      : {}),
    ...(override.dryRun !== undefined ? { dryRun: override.dryRun } : {}),
    budgets: { ...policy.budgets, ...override.budgets },
    minBits: { ...policy.minBits, ...override.minBits },
    detectors: mergeDetectors(policy.detectors, override.detectors),
    tenants: {},
  };
}

/** Validates a policy document and fills in the defaults; throws PolicyError naming every problem. */
export function parsePolicy(document: unknown): Policy {
  const old = version1Problems(document);
  if (old.length > 0) throw new PolicyError(old);
  if (!validatePolicyShape(document))
    throw new PolicyError(
      (validatePolicyShape.errors ?? []).map(
        (e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`,
      ),
    );
  const given = document as Partial<Omit<Policy, "version">>;
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...given,
    version: 2,
    detectors: mergeDetectors(DEFAULT_POLICY.detectors, given.detectors),
  };
  const problems = orderProblems("", policy);
  for (const [tenant, override] of Object.entries(policy.tenants))
    problems.push(
      ...orderProblems(`/tenants/${tenant}`, applyOverride(policy, override)),
    );
  for (const rule of policy.suppressions)
    for (const bound of [rule.from, rule.until])
      if (bound !== undefined && Number.isNaN(Date.parse(bound)))
        problems.push(`/suppressions ${rule.id}: ${bound} is not a date-time`);
  if (problems.length > 0) throw new PolicyError(problems);
  return Object.freeze(policy);
}

const resolved = new WeakMap<Policy, Map<string, Policy>>();

/** The policy in force for `tenant`: the tenant's override over the policy, resolved once. */
export function policyFor(policy: Policy, tenant: string): Policy {
  const override = policy.tenants[tenant];
  if (!override) return policy;
  let byTenant = resolved.get(policy);
  if (!byTenant) resolved.set(policy, (byTenant = new Map<string, Policy>()));
  let merged = byTenant.get(tenant);
  if (!merged) byTenant.set(tenant, (merged = applyOverride(policy, override)));
  return merged;
}
