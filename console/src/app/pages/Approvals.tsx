import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Ago, Loading } from "../components/Bits.js";
import { DataTable } from "../components/DataTable.js";
import {
  ReasonDialog,
  type PendingAction,
} from "../components/ReasonDialog.js";
import { useNow } from "../hooks.js";
import { agentPath, type PendingApproval } from "../model.js";
import { useSession } from "../session.js";
import { Countdown } from "./AgentView.js";

/** What the revoker does with a held revocation nobody answers in time. */
function onTimeout(item: PendingApproval): string {
  if (item.on_timeout === "deny") return "denied: nothing is sent";
  if (item.on_timeout === "revoke") return "revoked automatically";
  return "the configured default";
}

/** Held revocations, soonest deadline first, each with what its timeout will do. */
export function Approvals() {
  const { api } = useSession();
  const client = useQueryClient();
  const now = useNow(5_000);
  const [action, setAction] = useState<PendingAction>();
  const [notice, setNotice] = useState<string>();
  const approvals = useQuery({
    queryKey: ["approvals"],
    queryFn: () => api.admin<PendingApproval[]>("/admin/approvals"),
    refetchInterval: 3_000,
  });
  const verdict = (
    item: PendingApproval,
    kind: "approve" | "deny",
  ): PendingAction => ({
    title:
      kind === "approve" ? "Approve the revocation" : "Deny the revocation",
    consequence:
      kind === "approve"
        ? `The held revocation of ${item.agent_id} goes out now.`
        : `The held revocation of ${item.agent_id} is dropped: nothing is sent.`,
    confirm: kind === "approve" ? "Approve" : "Deny",
    danger: kind === "approve",
    run: (reason) =>
      api
        .adminPost(
          `/admin/approvals/${encodeURIComponent(item.decision_id)}/${kind}`,
          { reason },
        )
        .then(() => {
          setNotice(
            `${kind === "approve" ? "Approved" : "Denied"}: ${item.agent_id}.`,
          );
          void client.invalidateQueries({ queryKey: ["approvals"] });
        }),
  });
  const items = [...(approvals.data ?? [])].sort(
    (a, b) => Date.parse(a.deadline) - Date.parse(b.deadline),
  );
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <p role="status" aria-live="polite" className="notice">
        {notice}
      </p>
      {!approvals.data ? (
        <Loading what="approvals" error={approvals.error} />
      ) : items.length === 0 ? (
        <p className="empty">No revocation is waiting for approval.</p>
      ) : (
        <DataTable
          cards
          columns={[
            {
              label: "Agent",
              className: "agent",
              cell: (item) => (
                <Link to={agentPath(item.tenant, item.agent_id)}>
                  {item.agent_id}
                </Link>
              ),
            },
            { label: "Tenant", cell: (item) => item.tenant },
            {
              label: "Why",
              className: "sentence",
              cell: (item) => item.reason,
            },
            {
              label: "Requested",
              cell: (item) => <Ago at={item.requested_at} now={now} />,
            },
            {
              label: "Time left",
              cell: (item) => <Countdown deadline={item.deadline} />,
            },
            { label: "On timeout", cell: (item) => onTimeout(item) },
            {
              label: "Decide",
              hideLabel: true,
              className: "buttons",
              cell: (item) => (
                <>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setAction(verdict(item, "approve"))}
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    onClick={() => setAction(verdict(item, "deny"))}
                  >
                    Deny
                  </button>
                </>
              ),
            },
          ]}
          rows={items}
          rowKey={(item) => item.decision_id}
        />
      )}
      <ReasonDialog action={action} onClose={() => setAction(undefined)} />
    </section>
  );
}
