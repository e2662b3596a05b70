import type { DecisionV1 } from "@warden/shared";
import type { Kafka } from "kafkajs";
import type { AuditRecord } from "../core/audit.js";
import {
  decisionFinding,
  revocationFinding,
  type OcsfFinding,
} from "../core/ocsf-finding.js";
import { openRecordLog, type AuditLog } from "./audit-log.js";

/**
 * The cluster revoker's OCSF Detection Findings on `warden.findings.v1` (issue 17, findings
 * out): a decision's Create when the revoker takes the decision, and an Update per audit record
 * (each step of the revocation). Keyed by the finding's uid (the decision id), so a finding's
 * Create and its Updates stay in one partition, in the order written. At least once: a decision
 * redelivered after a failure writes its finding again with the same `metadata.uid`, on which
 * a SIEM de-duplicates.
 */
export interface FindingsLog {
  /** Writes the decision's Create; resolves once it is durable. */
  decision(decision: DecisionV1): Promise<void>;
  /** `audit`, with each record it writes also written as its finding's Update (both durable). */
  withUpdates(audit: AuditLog): AuditLog;
  stop(): Promise<void>;
}

export async function openFindingsLog(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Warden's version, the findings' `metadata.product.version`. */
  readonly productVersion: string;
  readonly onWritten?: (activity: "create" | "update", count: number) => void;
}): Promise<FindingsLog> {
  const log = await openRecordLog<OcsfFinding>({
    kafka: options.kafka,
    topic: options.topic,
    key: (finding) => finding.finding_info.uid,
  });
  const write = async (
    activity: "create" | "update",
    findings: readonly OcsfFinding[],
  ): Promise<void> => {
    await log.write(findings);
    options.onWritten?.(activity, findings.length);
  };
  return {
    decision: (decision) =>
      write("create", [decisionFinding(decision, options.productVersion)]),
    withUpdates: (audit) => ({
      async write(records: readonly AuditRecord[]) {
        await Promise.all([
          audit.write(records),
          write(
            "update",
            records.map((record) =>
              revocationFinding(record, options.productVersion),
            ),
          ),
        ]);
      },
      stop: () => audit.stop(),
    }),
    stop: () => log.stop(),
  };
}
