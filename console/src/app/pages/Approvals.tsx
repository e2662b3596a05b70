import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Ago, Loading } from "../components/Bits.js";
import {
  ReasonDialog,
  type PendingAction,
} from "../components/ReasonDialog.js";
import { useNow } from "../hooks.js";
import { agentPath, type PendingApproval } from "../model.js";
import { useSession } from "../session.js";
import { Countdown } from "./AgentView.js";

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
        <div className="table-wrap">
          <table className="cards">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Tenant</th>
                <th scope="col">Why</th>
                <th scope="col">Requested</th>
                <th scope="col">Time left</th>
                <th scope="col">On timeout</th>
                <th scope="col">
                  <span className="visually-hidden">Decide</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.decision_id}>
                  <td data-label="Agent" className="agent">
                    <Link to={agentPath(item.tenant, item.agent_id)}>
                      {item.agent_id}
                    </Link>
                  </td>
                  <td data-label="Tenant">{item.tenant}</td>
                  <td data-label="Why" className="sentence">
                    {item.reason}
                  </td>
                  <td data-label="Requested">
                    <Ago at={item.requested_at} now={now} />
                  </td>
                  <td data-label="Time left">
                    <Countdown deadline={item.deadline} />
                  </td>
                  <td data-label="On timeout">
                    {item.on_timeout === "deny"
                      ? "denied: nothing is sent"
                      : item.on_timeout === "revoke"
                        ? "revoked automatically"
                        : "the configured default"}
                  </td>
                  <td data-label="Decide" className="buttons">
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
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ReasonDialog action={action} onClose={() => setAction(undefined)} />
    </section>
  );
}
