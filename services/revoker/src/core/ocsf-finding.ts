import type { DecisionV1 } from "@warden/shared";
import type { AuditRecord, AuditStep } from "./audit.js";

/**
 * Decisions and revocation outcomes as OCSF Detection Findings (class 2004, OCSF 1.8.0, with
 * the `security_control` profile for `action_id` / `disposition_id`), what Security Lake and
 * most SIEMs ingest. A decision is the finding's Create; each revocation outcome an Update of
 * the same finding (`finding_info.uid` = decision id). Observed vs expected go in
 * `anomaly_analyses` (new in 1.8), the agent chain in `evidences`, ATT&CK / ATLAS techniques
 * in `finding_info.attacks` where the detector's behaviour has one.
 */
export const OCSF_VERSION = "1.8.0";
export const OCSF_PROFILES = ["security_control"] as const;
const CLASS_UID = 2004;
const CATEGORY_UID = 2;

export type OcsfFinding = Record<string, unknown> & {
  readonly class_uid: 2004;
  readonly time: number;
  readonly finding_info: { readonly uid: string } & Record<string, unknown>;
};

interface Technique {
  readonly technique: { readonly uid: string; readonly name: string };
  readonly sub_technique?: { readonly uid: string; readonly name: string };
  readonly tactic: { readonly uid: string; readonly name: string };
  /** `ATT&CK` or `ATLAS`: which matrix the ids belong to. */
  readonly matrix: "ATT&CK" | "ATLAS";
}

/**
 * What each detector's behaviour is, as ATT&CK Enterprise (cloud) or ATLAS (AI systems)
 * techniques. Detectors that only say "unusual" (novel action, off hours, slow drift, a
 * policy deny rule) have none: naming one would be a guess.
 */
export const DETECTOR_TECHNIQUES: Readonly<
  Record<string, readonly Technique[]>
> = {
  burst: [
    {
      matrix: "ATLAS",
      technique: { uid: "AML.T0034", name: "Cost Harvesting" },
      tactic: { uid: "AML.TA0011", name: "Impact" },
    },
  ],
  rate_spike: [
    {
      matrix: "ATLAS",
      technique: { uid: "AML.T0034", name: "Cost Harvesting" },
      tactic: { uid: "AML.TA0011", name: "Impact" },
    },
  ],
  volume_exfil: [
    {
      matrix: "ATT&CK",
      technique: { uid: "T1530", name: "Data from Cloud Storage" },
      tactic: { uid: "TA0009", name: "Collection" },
    },
  ],
  novel_resource: [
    {
      matrix: "ATT&CK",
      technique: { uid: "T1526", name: "Cloud Service Discovery" },
      tactic: { uid: "TA0007", name: "Discovery" },
    },
  ],
  denied_probing: [
    {
      matrix: "ATT&CK",
      technique: { uid: "T1069", name: "Permission Groups Discovery" },
      tactic: { uid: "TA0007", name: "Discovery" },
    },
  ],
  privilege_escalation: [
    {
      matrix: "ATT&CK",
      technique: { uid: "T1098", name: "Account Manipulation" },
      tactic: { uid: "TA0004", name: "Privilege Escalation" },
    },
  ],
  credential_misuse: [
    {
      matrix: "ATT&CK",
      technique: { uid: "T1078", name: "Valid Accounts" },
      sub_technique: { uid: "T1078.004", name: "Cloud Accounts" },
      tactic: { uid: "TA0001", name: "Initial Access" },
    },
  ],
  delegation_anomaly: [
    {
      matrix: "ATT&CK",
      technique: {
        uid: "T1550",
        name: "Use Alternate Authentication Material",
      },
      tactic: { uid: "TA0008", name: "Lateral Movement" },
    },
  ],
};

/** OCSF severity by Warden's action: revoke is High (Critical at risk ≥ 0.95), step-up Medium, alert Low. */
function severity(
  action: DecisionV1["action"],
  risk: number,
): { id: number; name: string } {
  if (action === "revoke")
    return risk >= 0.95 ? { id: 5, name: "Critical" } : { id: 4, name: "High" };
  if (action === "step_up") return { id: 3, name: "Medium" };
  return { id: 2, name: "Low" };
}

/** security_control: what Warden did (`action_id`) and to what effect (`disposition_id`). */
const DECISION_DISPOSITION: Record<
  DecisionV1["action"],
  {
    action_id: number;
    action: string;
    disposition_id: number;
    disposition: string;
  }
> = {
  revoke: {
    action_id: 2,
    action: "Denied",
    disposition_id: 24,
    disposition: "Access Revoked",
  },
  step_up: {
    action_id: 4,
    action: "Modified",
    disposition_id: 23,
    disposition: "Challenge",
  },
  alert: {
    action_id: 3,
    action: "Observed",
    disposition_id: 19,
    disposition: "Alert",
  },
};

const STEP_DISPOSITION: Record<
  AuditStep,
  {
    action_id: number;
    action: string;
    disposition_id: number;
    disposition: string;
  }
> = {
  queued: {
    action_id: 2,
    action: "Denied",
    disposition_id: 14,
    disposition: "Delayed",
  },
  delivered: {
    action_id: 2,
    action: "Denied",
    disposition_id: 24,
    disposition: "Access Revoked",
  },
  retrying: {
    action_id: 2,
    action: "Denied",
    disposition_id: 14,
    disposition: "Delayed",
  },
  refused: {
    action_id: 2,
    action: "Denied",
    disposition_id: 27,
    disposition: "Error",
  },
  dead_lettered: {
    action_id: 2,
    action: "Denied",
    disposition_id: 27,
    disposition: "Error",
  },
  dropped: {
    action_id: 3,
    action: "Observed",
    disposition_id: 6,
    disposition: "Dropped",
  },
  kill_switch: {
    action_id: 2,
    action: "Denied",
    disposition_id: 2,
    disposition: "Blocked",
  },
  connector: {
    action_id: 2,
    action: "Denied",
    disposition_id: 24,
    disposition: "Access Revoked",
  },
  awaiting_approval: {
    action_id: 3,
    action: "Observed",
    disposition_id: 14,
    disposition: "Delayed",
  },
  approved: {
    action_id: 2,
    action: "Denied",
    disposition_id: 8,
    disposition: "Approved",
  },
  denied: {
    action_id: 1,
    action: "Allowed",
    disposition_id: 16,
    disposition: "No Action",
  },
};

function asText(value: unknown): string {
  return typeof value === "string"
    ? value
    : (JSON.stringify(value) ?? String(value));
}

function product(version: string) {
  return { name: "Warden", vendor_name: "Warden", version };
}

function metadata(
  uid: string,
  tenant: string | undefined,
  version: string,
  correlation: string,
) {
  return {
    version: OCSF_VERSION,
    product: product(version),
    profiles: [...OCSF_PROFILES],
    uid,
    correlation_uid: correlation,
    ...(tenant ? { tenant_uid: tenant } : {}),
  };
}

function attacks(detectors: readonly string[]) {
  const seen = new Set<string>();
  return detectors
    .flatMap((detector) => DETECTOR_TECHNIQUES[detector] ?? [])
    .filter(
      (entry) =>
        !seen.has(entry.technique.uid) && (seen.add(entry.technique.uid), true),
    )
    .map(({ technique, sub_technique, tactic, matrix }) => ({
      technique,
      ...(sub_technique ? { sub_technique } : {}),
      tactic,
      tactics: [tactic],
      version: matrix === "ATLAS" ? "ATLAS" : "ATT&CK v16",
    }));
}

/** The agent chain, outermost delegator first, then the human it acts for and its owner. */
function chainEvidence(
  decision: Pick<
    DecisionV1,
    "agent_id" | "delegation" | "on_behalf_of" | "owner" | "credential_ids"
  >,
) {
  const chain =
    decision.delegation && decision.delegation.length > 0
      ? decision.delegation
      : [decision.agent_id];
  const agents = chain.map((id, index) => ({
    name: index === chain.length - 1 ? "agent" : "delegating agent",
    actor: {
      user: {
        uid: id,
        type_id: 99,
        type: "Agent",
        ...(index === chain.length - 1 && decision.credential_ids?.[0]
          ? { credential_uid: decision.credential_ids[0] }
          : {}),
      },
    },
  }));
  const people = [
    ...(decision.on_behalf_of
      ? [
          {
            name: "on behalf of",
            actor: {
              user: { uid: decision.on_behalf_of, type_id: 1, type: "User" },
            },
          },
        ]
      : []),
    ...(decision.owner
      ? [
          {
            name: "owner",
            actor: { user: { uid: decision.owner, type_id: 1, type: "User" } },
          },
        ]
      : []),
  ];
  return [...agents, ...people];
}

/** observed vs expected of every reason that has them, per detector. */
function anomalyAnalyses(decision: DecisionV1) {
  return decision.reasons
    .filter((reason) => reason.observed !== undefined)
    .map((reason) => ({
      analysis_targets: [{ name: decision.agent_id, type: "agent" }],
      anomalies: [
        {
          observation_parameter: reason.detector,
          observed_pattern: reason.summary,
          observations: [{ value: asText(reason.observed) }],
        },
      ],
      ...(reason.expected !== undefined
        ? {
            baselines: [
              {
                observation_parameter: reason.detector,
                observations: [{ value: asText(reason.expected) }],
              },
            ],
          }
        : {}),
    }));
}

function timeOf(iso: string | undefined, fallback: string): number {
  const ms = Date.parse(iso ?? fallback);
  return Number.isFinite(ms) ? ms : Date.parse(fallback);
}

/** A decision as the finding's Create. */
export function decisionFinding(
  decision: DecisionV1,
  productVersion: string,
): OcsfFinding {
  const time = timeOf(decision.decided_at, decision.at);
  const level = severity(decision.action, decision.risk);
  const detectors = decision.reasons.map((reason) => reason.detector);
  const techniques = attacks(detectors);
  const analyses = anomalyAnalyses(decision);
  const strongest = [...decision.reasons].sort((a, b) => b.score - a.score)[0];
  return {
    class_uid: CLASS_UID,
    class_name: "Detection Finding",
    category_uid: CATEGORY_UID,
    category_name: "Findings",
    activity_id: 1,
    activity_name: "Create",
    type_uid: CLASS_UID * 100 + 1,
    type_name: "Detection Finding: Create",
    time,
    severity_id: level.id,
    severity: level.name,
    status_id: 1,
    status: "New",
    is_alert: true,
    risk_score: Math.round(decision.risk * 100),
    message:
      strongest?.summary ??
      `Warden decided ${decision.action} for ${decision.agent_id}`,
    ...DECISION_DISPOSITION[decision.action],
    metadata: metadata(
      decision.decision_id,
      decision.tenant,
      productVersion,
      decision.decision_id,
    ),
    finding_info: {
      uid: decision.decision_id,
      title: `Warden ${decision.action.replace("_", "-")}: ${decision.agent_id}`,
      desc: decision.reasons.map((reason) => reason.summary).join("; "),
      created_time: time,
      first_seen_time: timeOf(decision.at, decision.at),
      types: detectors,
      product: product(productVersion),
      ...(strongest
        ? {
            analytic: {
              uid: strongest.detector,
              name: strongest.detector,
              type_id: 2,
              type: "Behavioral",
            },
          }
        : {}),
      ...(techniques.length > 0 ? { attacks: techniques } : {}),
      ...(decision.trigger_event_id
        ? { related_events: [{ uid: decision.trigger_event_id }] }
        : {}),
    },
    ...(analyses.length > 0 ? { anomaly_analyses: analyses } : {}),
    evidences: chainEvidence(decision),
  };
}

/** A revocation outcome (one record of warden.revocations.v1) as an Update of its decision's finding. */
export function revocationFinding(
  record: AuditRecord,
  productVersion: string,
): OcsfFinding {
  const time = timeOf(record.at, record.at);
  const chain = [...record.delegation_chain];
  return {
    class_uid: CLASS_UID,
    class_name: "Detection Finding",
    category_uid: CATEGORY_UID,
    category_name: "Findings",
    activity_id: 2,
    activity_name: "Update",
    type_uid: CLASS_UID * 100 + 2,
    type_name: "Detection Finding: Update",
    time,
    severity_id: record.action === "revoke" ? 4 : 2,
    severity: record.action === "revoke" ? "High" : "Low",
    is_alert: true,
    message: record.sentence,
    ...STEP_DISPOSITION[record.step],
    ...(record.outcome ? { status_detail: record.outcome } : {}),
    metadata: metadata(
      `${record.txn}:${record.step}:${record.jti ?? record.receiver ?? ""}:${record.attempt ?? 0}`,
      record.tenant,
      productVersion,
      record.txn,
    ),
    finding_info: {
      uid: record.txn,
      title: `Warden ${record.action}: ${record.agent_id} (${record.step.replace("_", " ")})`,
      desc: record.sentence,
      modified_time: time,
      product: product(productVersion),
    },
    // The chain comes agent first from the revoker: OCSF evidence lists the agent last, like a decision's.
    evidences: chain.map((id, index) => ({
      name: index === 0 ? "agent" : "delegating agent or person",
      actor: {
        user: {
          uid: id,
          type_id: index === 0 ? 99 : 0,
          type: index === 0 ? "Agent" : "Unknown",
        },
      },
    })),
  };
}
