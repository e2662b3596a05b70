import { beforeAll, describe, expect, it } from "vitest";
import type { DecisionV1 } from "@warden/shared";
import {
  AuditStep,
  actionFromDecision,
  auditRecord,
  decisionFinding,
  revocationFinding,
} from "@warden/revoker";
import { ocsfValidator } from "./support/ocsf.js";

// Validated against OCSF 1.8.0's own schema through a validator that is not Warden's (test/support/ocsf.ts).
const decision = (
  action: DecisionV1["action"],
  extra: Partial<DecisionV1> = {},
): DecisionV1 =>
  ({
    schema: "warden-decision/v1",
    decision_id: `dec-${action}-0001`,
    tenant: "acme",
    agent_id: "agent:billing/4",
    action,
    risk: action === "revoke" ? 0.97 : 0.6,
    at: "2026-11-02T09:15:00.000Z",
    decided_at: "2026-11-02T09:15:00.120Z",
    trigger_event_id: "evt-77",
    credential_ids: ["tok_8d1e"],
    owner: "carol@acme.example",
    on_behalf_of: "dave@acme.example",
    delegation: ["agent:triage/1", "agent:billing/4"],
    reasons: [
      {
        detector: "rate_spike",
        score: 0.9,
        summary: "101 calls in 10 s vs baseline p99 12",
        observed: 101,
        expected: { p99: 12 },
      },
      {
        detector: "volume_exfil",
        score: 0.7,
        summary: "52 MB out vs 1 MB",
        observed: 52_000_000,
        expected: 1_000_000,
      },
      { detector: "novel_action", score: 0.3, summary: "first crm.export" },
    ],
    ...extra,
  }) as DecisionV1;

describe("OCSF Detection Findings", () => {
  let validate: ReturnType<typeof ocsfValidator>;
  beforeAll(() => {
    validate = ocsfValidator();
  }, 120_000);

  const valid = (finding: unknown) => {
    const ok = validate(finding);
    expect(validate.errors ?? []).toEqual([]);
    return ok;
  };

  it.each(["revoke", "step_up", "alert"] as const)(
    "a %s decision is a valid Create with observed vs expected, the chain and techniques",
    (action) => {
      const finding = decisionFinding(decision(action), "0.1.0");
      expect(valid(finding)).toBe(true);
      expect(finding).toMatchObject({
        class_uid: 2004,
        activity_id: 1,
        type_uid: 200401,
        finding_info: { uid: `dec-${action}-0001` },
      });
    },
  );

  it("maps a revoke to Access Revoked, its detectors to ATLAS / ATT&CK, and its reasons to anomaly_analyses", () => {
    const finding = decisionFinding(decision("revoke"), "0.1.0");
    expect(finding).toMatchObject({
      severity_id: 5,
      action_id: 2,
      disposition_id: 24,
      risk_score: 97,
      metadata: { version: "1.8.0", tenant_uid: "acme" },
    });
    const info = finding.finding_info as unknown as {
      attacks: { technique: { uid: string } }[];
    };
    expect(info.attacks.map((attack) => attack.technique.uid)).toEqual([
      "AML.T0034",
      "T1530",
    ]);
    expect(finding["anomaly_analyses"]).toEqual([
      expect.objectContaining({
        anomalies: [
          expect.objectContaining({
            observation_parameter: "rate_spike",
            observations: [{ value: "101" }],
          }),
        ],
        baselines: [
          expect.objectContaining({ observations: [{ value: '{"p99":12}' }] }),
        ],
      }),
      expect.objectContaining({
        anomalies: [
          expect.objectContaining({ observation_parameter: "volume_exfil" }),
        ],
      }),
    ]);
    const evidences = finding["evidences"] as {
      name: string;
      actor: { user: { uid: string } };
    }[];
    expect(evidences.map((e) => [e.name, e.actor.user.uid])).toEqual([
      ["delegating agent", "agent:triage/1"],
      ["agent", "agent:billing/4"],
      ["on behalf of", "dave@acme.example"],
      ["owner", "carol@acme.example"],
    ]);
  });

  it("every revocation outcome is a valid Update of its decision's finding", () => {
    const action = actionFromDecision(decision("revoke"), 1_793_000_000);
    for (const step of Object.values(AuditStep)) {
      const finding = revocationFinding(
        auditRecord(action, step, "2026-11-02T09:15:01.000Z", {
          receiver: "idp",
          streamId: "s1",
          outcome: "202",
          attempt: 2,
        }),
        "0.1.0",
      );
      expect(valid(finding)).toBe(true);
      expect(finding).toMatchObject({
        activity_id: 2,
        finding_info: { uid: "dec-revoke-0001" },
      });
    }
  });

  it("the validator refuses what OCSF does not allow (so the checks above can fail)", () => {
    const finding = {
      ...decisionFinding(decision("alert"), "0.1.0"),
      disposition_id: 1000,
      warden_extra: true,
    };
    expect(validate(finding)).toBe(false);
  });
});
