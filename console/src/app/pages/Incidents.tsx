import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Ago, Loading, Risk, StateTag } from "../components/Bits.js";
import { DataTable, type Column } from "../components/DataTable.js";
import { useNow } from "../hooks.js";
import {
  agentPath,
  decisionSentence,
  formatDuration,
  timeToDecide,
  type Incident,
} from "../model.js";
import { useSession } from "../session.js";

const WINDOWS = [
  { label: "last hour", ms: 3_600_000 },
  { label: "last 24 hours", ms: 86_400_000 },
  { label: "last 7 days", ms: 7 * 86_400_000 },
] as const;

const incidentColumns = (now: number): readonly Column<Incident>[] => [
  { label: "Risk", cell: (incident) => <Risk value={incident.max_risk} /> },
  {
    label: "Agent",
    className: "agent",
    cell: (incident) => (
      <Link to={agentPath(incident.tenant, incident.agent_id)}>
        {incident.agent_id}
      </Link>
    ),
  },
  {
    label: "Owner",
    cell: (incident) =>
      incident.decision.owner ?? incident.decision.on_behalf_of ?? "—",
  },
  { label: "Tenant", cell: (incident) => incident.tenant },
  {
    label: "Action taken",
    cell: (incident) => <StateTag state={incident.state} />,
  },
  {
    label: "Why",
    className: "sentence",
    cell: (incident) => decisionSentence(incident.decision),
  },
  {
    label: "Time to decide",
    cell: (incident) => {
      const decide = timeToDecide(incident.decision);
      return decide === undefined ? "—" : formatDuration(decide);
    },
  },
  {
    label: "Last decision",
    cell: (incident) => <Ago at={incident.last_at} now={now} />,
  },
];

/** Open incidents ranked by risk, refreshed every few seconds. */
export function Incidents() {
  const { api } = useSession();
  const now = useNow(5_000);
  const [windowMs, setWindowMs] = useState<number>(WINDOWS[1].ms);
  const [openOnly, setOpenOnly] = useState(true);
  const incidents = useQuery({
    queryKey: ["incidents", windowMs, openOnly],
    queryFn: () =>
      api.query<{ incidents: Incident[] }>("/v1/incidents", {
        from: Date.now() - windowMs,
        state: openOnly ? "open" : "all",
        limit: 200,
      }),
    refetchInterval: 3_000,
  });
  return (
    <section aria-labelledby="incidents-title">
      <div className="heading">
        <h1 id="incidents-title">Incidents</h1>
        <div className="controls">
          <label>
            Window{" "}
            <select
              value={windowMs}
              onChange={(event) => setWindowMs(Number(event.target.value))}
            >
              {WINDOWS.map((option) => (
                <option key={option.ms} value={option.ms}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input
              type="checkbox"
              checked={openOnly}
              onChange={(event) => setOpenOnly(event.target.checked)}
            />{" "}
            open only
          </label>
        </div>
      </div>
      {!incidents.data ? (
        <Loading what="incidents" error={incidents.error} />
      ) : incidents.data.incidents.length === 0 ? (
        <p className="empty">
          No {openOnly ? "open " : ""}incidents in this window.
        </p>
      ) : (
        <DataTable
          cards
          className="incidents"
          caption="Incidents ranked by risk, highest first"
          columns={incidentColumns(now)}
          rows={incidents.data.incidents}
          rowKey={(incident) => `${incident.tenant}\u0000${incident.agent_id}`}
        />
      )}
    </section>
  );
}
