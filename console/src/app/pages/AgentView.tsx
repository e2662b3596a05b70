import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { agentApiPath } from "../api.js";
import {
  ActivityChart,
  type Band,
  type MinutePoint,
} from "../components/ActivityChart.js";
import { Ago, Loading, Risk, StateTag } from "../components/Bits.js";
import {
  ReasonDialog,
  type PendingAction,
} from "../components/ReasonDialog.js";
import { useNow } from "../hooks.js";
import {
  agentStatus,
  decisionSentence,
  delegationChain,
  deliveries,
  formatDuration,
  formatValue,
  timeToDecide,
  type AuditRecord,
  type Decision,
  type PendingApproval,
} from "../model.js";
import { useSession } from "../session.js";

const HISTORY_MS = 7 * 86_400_000;
const CHART_WINDOWS = [
  { label: "1 h", ms: 3_600_000 },
  { label: "3 h", ms: 3 * 3_600_000 },
  { label: "24 h", ms: 86_400_000 },
] as const;

interface Used {
  readonly value: string;
  readonly calls: number;
  readonly last_seen: string;
}
interface Activity {
  readonly per_minute: MinutePoint[];
  readonly credentials: Used[];
  readonly networks: Used[];
}
interface Stats {
  readonly median: number;
  readonly p99: number;
}
interface Model {
  readonly trusted: boolean;
  readonly ratePerMinute: Stats;
}
interface Baselines {
  readonly agent: Model | null;
  readonly peer: Model | null;
  readonly tenant: Model | null;
}

/** The band the chart draws: the agent's own baseline when trusted, else its peers', else its tenant's. */
function bandOf(baselines: Baselines | undefined): Band | undefined {
  if (!baselines) return undefined;
  const [model, source] = baselines.agent?.trusted
    ? [baselines.agent, "agent's own"]
    : baselines.peer
      ? [baselines.peer, "peer group"]
      : baselines.tenant
        ? [baselines.tenant, "tenant"]
        : [baselines.agent, "agent's own (untrusted)"];
  if (!model) return undefined;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    low: round(model.ratePerMinute.median),
    high: round(model.ratePerMinute.p99),
    source,
  };
}

/** One agent's incident: why, who it acts for, what it did, what Warden sent, and what to do. */
export function AgentView() {
  const params = useParams();
  const tenant = params["tenant"] ?? "";
  const agentId = params["agent"] ?? "";
  const { api } = useSession();
  const client = useQueryClient();
  const now = useNow(5_000);
  const [chartMs, setChartMs] = useState<number>(CHART_WINDOWS[0].ms);
  const [action, setAction] = useState<PendingAction>();
  const [notice, setNotice] = useState<string>();
  const key = [tenant, agentId];

  const decisions = useQuery({
    queryKey: ["decisions", ...key],
    queryFn: () =>
      api.query<{ decisions: Decision[] }>(
        agentApiPath(tenant, agentId, "decisions"),
        {
          from: Date.now() - HISTORY_MS,
          limit: 200,
        },
      ),
    refetchInterval: 5_000,
  });
  const audit = useQuery({
    queryKey: ["revocations", ...key],
    queryFn: () =>
      api.query<{ revocations: AuditRecord[] }>(
        agentApiPath(tenant, agentId, "revocations"),
        {
          from: Date.now() - HISTORY_MS,
          limit: 1000,
        },
      ),
    refetchInterval: 2_000,
  });
  const activity = useQuery({
    queryKey: ["activity", chartMs, ...key],
    queryFn: () =>
      api.query<Activity>(agentApiPath(tenant, agentId, "activity"), {
        from: Date.now() - chartMs,
      }),
    refetchInterval: 10_000,
  });
  const baselines = useQuery({
    queryKey: ["baseline", ...key],
    queryFn: () =>
      api.query<Baselines>(agentApiPath(tenant, agentId, "baseline")),
    refetchInterval: 15_000,
  });
  const approvals = useQuery({
    queryKey: ["approvals"],
    queryFn: () => api.admin<PendingApproval[]>("/admin/approvals"),
    refetchInterval: 3_000,
  });

  const strongest = [...(decisions.data?.decisions ?? [])].sort(
    (a, b) => b.risk - a.risk || Date.parse(b.at) - Date.parse(a.at),
  )[0];
  const pending = (approvals.data ?? []).filter(
    (item) => item.tenant === tenant && item.agent_id === agentId,
  );
  const records = audit.data?.revocations ?? [];
  const sent = deliveries(records);
  const trail = [...records]
    .filter((record) => record.sentence)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const status = agentStatus(trail);
  const refresh = () => {
    for (const name of ["approvals", "revocations", "decisions", "incidents"])
      void client.invalidateQueries({ queryKey: [name] });
  };
  const done = (message: string) => () => {
    setNotice(message);
    refresh();
  };

  const revoke: PendingAction = {
    title: "Revoke now",
    consequence: `Warden sends revocation events about ${agentId} to every receiver and sets the gateways' kill switch.`,
    confirm: "Revoke",
    danger: true,
    run: (reason) =>
      api
        .adminPost("/admin/revoke", {
          tenant,
          agent_id: agentId,
          reason,
          credential_ids: strongest?.credential_ids ?? [],
        })
        .then(done(`Revocation of ${agentId} sent.`)),
  };
  const reinstate: PendingAction = {
    title: "Reinstate",
    consequence: `Warden tells every receiver that ${agentId} is enabled again and lifts the kill switch.`,
    confirm: "Reinstate",
    run: (reason) =>
      api
        .adminPost("/admin/reinstate", { tenant, agent_id: agentId, reason })
        .then(done(`${agentId} reinstated.`)),
  };
  const verdict = (
    item: PendingApproval,
    kind: "approve" | "deny",
  ): PendingAction => ({
    title:
      kind === "approve" ? "Approve the revocation" : "Deny the revocation",
    consequence:
      kind === "approve"
        ? `The held revocation of ${agentId} goes out now.`
        : `The held revocation of ${agentId} is dropped: nothing is sent.`,
    confirm: kind === "approve" ? "Approve" : "Deny",
    danger: kind === "approve",
    run: (reason) =>
      api
        .adminPost(
          `/admin/approvals/${encodeURIComponent(item.decision_id)}/${kind}`,
          { reason },
        )
        .then(
          done(
            kind === "approve" ? "Revocation approved." : "Revocation denied.",
          ),
        ),
  });

  return (
    <article aria-labelledby="agent-title">
      <p className="crumbs">
        <Link to="/incidents">Incidents</Link> / {tenant}
      </p>
      <div className="heading">
        <h1 id="agent-title" className="agent">
          {agentId}
        </h1>
        <div className="controls">
          {status ? (
            <span>
              status: <StateTag state={status} />
            </span>
          ) : null}
        </div>
      </div>
      <p role="status" aria-live="polite" className="notice">
        {notice}
      </p>

      <section aria-labelledby="act-title" className="panel actions">
        <h2 id="act-title">Decide</h2>
        {pending.map((item) => (
          <div key={item.decision_id} className="pending">
            <p>
              A revocation is waiting for approval;{" "}
              <Countdown deadline={item.deadline} /> then{" "}
              <strong>
                {item.on_timeout === "deny"
                  ? "it is dropped"
                  : "it goes out by itself"}
              </strong>
              .
            </p>
            <button
              type="button"
              className="danger"
              onClick={() => setAction(verdict(item, "approve"))}
            >
              Approve revocation
            </button>
            <button
              type="button"
              onClick={() => setAction(verdict(item, "deny"))}
            >
              Deny
            </button>
          </div>
        ))}
        <div className="buttons">
          <button
            type="button"
            className="danger"
            onClick={() => setAction(revoke)}
          >
            Revoke now
          </button>
          <button type="button" onClick={() => setAction(reinstate)}>
            Reinstate
          </button>
        </div>
      </section>

      <section aria-labelledby="why-title" className="panel">
        <h2 id="why-title">Why</h2>
        {!decisions.data ? (
          <Loading what="decisions" error={decisions.error} />
        ) : !strongest ? (
          <p className="empty">
            No decision about this agent in the last 7 days.
          </p>
        ) : (
          <>
            <p className="sentence lead" data-testid="sentence">
              {decisionSentence(strongest)}
            </p>
            <p className="meta">
              <Risk value={strongest.risk} /> · {strongest.action} · decided{" "}
              {formatDuration(timeToDecide(strongest) ?? Number.NaN)} after the
              trigger · <Ago at={strongest.at} now={now} />
            </p>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Detector</th>
                    <th scope="col">Observed</th>
                    <th scope="col">Expected</th>
                    <th scope="col">Score</th>
                  </tr>
                </thead>
                <tbody>
                  {[...strongest.reasons]
                    .sort((a, b) => b.score - a.score)
                    .map((reason) => (
                      <tr key={reason.detector}>
                        <th scope="row">{reason.detector}</th>
                        <td>{formatValue(reason.observed)}</td>
                        <td>{formatValue(reason.expected)}</td>
                        <td>{reason.score.toFixed(2)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      <section aria-labelledby="chain-title" className="panel">
        <h2 id="chain-title">Acting for</h2>
        {strongest ? (
          <ol
            className="chain"
            aria-label="Delegation chain from the agent up to its human owner"
          >
            {delegationChain(strongest).map((link, index, chain) => (
              <li key={link}>
                <span
                  className={
                    index === chain.length - 1 && chain.length > 1
                      ? "owner"
                      : ""
                  }
                >
                  {link}
                </span>
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty">Unknown until a decision names it.</p>
        )}
      </section>

      <section aria-labelledby="activity-title" className="panel wide">
        <div className="heading">
          <h2 id="activity-title">Activity against its baseline</h2>
          <div className="controls" role="group" aria-label="Chart window">
            {CHART_WINDOWS.map((option) => (
              <button
                key={option.ms}
                type="button"
                className={option.ms === chartMs ? "" : "secondary"}
                aria-pressed={option.ms === chartMs}
                onClick={() => setChartMs(option.ms)}
              >
                {option.label}
              </button>
            ))}
          </div>
        </div>
        {activity.data ? (
          <ActivityChart
            points={activity.data.per_minute}
            fromMs={now - chartMs}
            toMs={now}
            band={bandOf(baselines.data)}
          />
        ) : (
          <Loading what="activity" error={activity.error} />
        )}
      </section>

      <section aria-labelledby="creds-title" className="panel">
        <h2 id="creds-title">Credentials and networks</h2>
        {activity.data ? (
          <div className="two">
            <UsedList
              title="Credentials"
              items={activity.data.credentials}
              now={now}
            />
            <UsedList
              title="Source addresses"
              items={activity.data.networks}
              now={now}
            />
          </div>
        ) : (
          <Loading what="credentials" error={activity.error} />
        )}
      </section>

      <section aria-labelledby="sets-title" className="panel wide">
        <h2 id="sets-title">Security events sent</h2>
        {!audit.data ? (
          <Loading what="deliveries" error={audit.error} />
        ) : sent.length === 0 ? (
          <p className="empty">
            No security event has been sent about this agent.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="cards" data-testid="deliveries">
              <thead>
                <tr>
                  <th scope="col">Receiver</th>
                  <th scope="col">Event</th>
                  <th scope="col">Cause</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Answer</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {sent.map((item) => (
                  <tr
                    key={`${item.txn}\u0000${item.streamId}\u0000${item.eventType}\u0000${item.at}`}
                  >
                    <td data-label="Receiver">
                      {item.receiver}{" "}
                      <span className="hint">({item.streamId})</span>
                    </td>
                    <td data-label="Event">{item.eventType}</td>
                    <td data-label="Cause">{item.action}</td>
                    <td data-label="State">
                      <StateTag state={item.state} />
                    </td>
                    <td data-label="Attempts">{item.attempts}</td>
                    <td data-label="Answer">{item.answer || "—"}</td>
                    <td data-label="When">
                      <Ago at={item.at} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="trail-title" className="panel wide">
        <h2 id="trail-title">Audit trail</h2>
        {trail.length === 0 ? (
          <p className="empty">Nothing recorded yet.</p>
        ) : (
          <ol className="trail">
            {trail.slice(0, 50).map((record, index) => (
              <li key={`${record.at}\u0000${index}`}>
                <Ago at={record.at} now={now} /> — {record.sentence}
              </li>
            ))}
          </ol>
        )}
      </section>

      <ReasonDialog action={action} onClose={() => setAction(undefined)} />
    </article>
  );
}

function UsedList(props: {
  title: string;
  items: readonly Used[];
  now: number;
}) {
  return (
    <div>
      <h3>{props.title}</h3>
      {props.items.length === 0 ? (
        <p className="empty">None in this window.</p>
      ) : (
        <ul className="used">
          {props.items.map((item) => (
            <li key={item.value}>
              <code>{item.value}</code> — {item.calls.toLocaleString("en")}{" "}
              calls, last <Ago at={item.last_seen} now={props.now} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Countdown(props: { deadline: string }) {
  const now = useNow(1_000);
  const left = Date.parse(props.deadline) - now;
  return (
    <time dateTime={props.deadline} className="countdown">
      {left > 0 ? `${formatDuration(left)} left` : "the timeout has passed"}
    </time>
  );
}
