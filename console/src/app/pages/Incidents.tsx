import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Ago, Loading, Risk, StateTag } from "../components/Bits.js";
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
        <div className="table-wrap">
          <table className="incidents cards">
            <caption className="visually-hidden">
              Incidents ranked by risk, highest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Risk</th>
                <th scope="col">Agent</th>
                <th scope="col">Owner</th>
                <th scope="col">Tenant</th>
                <th scope="col">Action taken</th>
                <th scope="col">Why</th>
                <th scope="col">Time to decide</th>
                <th scope="col">Last decision</th>
              </tr>
            </thead>
            <tbody>
              {incidents.data.incidents.map((incident) => {
                const decide = timeToDecide(incident.decision);
                return (
                  <tr key={`${incident.tenant}\u0000${incident.agent_id}`}>
                    <td data-label="Risk">
                      <Risk value={incident.max_risk} />
                    </td>
                    <td data-label="Agent" className="agent">
                      <Link to={agentPath(incident.tenant, incident.agent_id)}>
                        {incident.agent_id}
                      </Link>
                    </td>
                    <td data-label="Owner">
                      {incident.decision.owner ??
                        incident.decision.on_behalf_of ??
                        "—"}
                    </td>
                    <td data-label="Tenant">{incident.tenant}</td>
                    <td data-label="Action taken">
                      <StateTag state={incident.state} />
                    </td>
                    <td data-label="Why" className="sentence">
                      {decisionSentence(incident.decision)}
                    </td>
                    <td data-label="Time to decide">
                      {decide === undefined ? "—" : formatDuration(decide)}
                    </td>
                    <td data-label="Last decision">
                      <Ago at={incident.last_at} now={now} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
