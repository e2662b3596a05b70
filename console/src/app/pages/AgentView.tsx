import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { agentApiPath } from "../api.js";
import {
  ActivityChart,
  type Band,
  type MinutePoint,
} from "../components/ActivityChart.js";
import {
  ChainPanel,
  DeliveriesPanel,
  TrailPanel,
  UsedPanel,
  WhyPanel,
  type Used,
} from "../components/AgentPanels.js";
import { Loading, StateTag } from "../components/Bits.js";
import {
  ReasonDialog,
  type PendingAction,
} from "../components/ReasonDialog.js";
import { useNow } from "../hooks.js";
import {
  agentStatus,
  deliveries,
  formatDuration,
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

/** What the agent page reads: its decisions, audit trail, activity, baselines and approvals. */
function useAgentData(tenant: string, agentId: string, chartMs: number) {
  const { api } = useSession();
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

  return { decisions, audit, activity, baselines, approvals };
}

/** The four things an analyst can do here, each to be confirmed with a reason. */
function useAgentActions(
  tenant: string,
  agentId: string,
  strongest: Decision | undefined,
  setNotice: (notice: string) => void,
) {
  const { api } = useSession();
  const client = useQueryClient();
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

  return { revoke, reinstate, verdict };
}

/** One agent's incident: why, who it acts for, what it did, what Warden sent, and what to do. */
export function AgentView() {
  const params = useParams();
  const tenant = params["tenant"] ?? "";
  const agentId = params["agent"] ?? "";
  const now = useNow(5_000);
  const [chartMs, setChartMs] = useState<number>(CHART_WINDOWS[0].ms);
  const [action, setAction] = useState<PendingAction>();
  const [notice, setNotice] = useState<string>();
  const { decisions, audit, activity, baselines, approvals } = useAgentData(
    tenant,
    agentId,
    chartMs,
  );
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
  const { revoke, reinstate, verdict } = useAgentActions(
    tenant,
    agentId,
    strongest,
    setNotice,
  );

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
      <DecidePanel
        pending={pending}
        onAction={setAction}
        revoke={revoke}
        reinstate={reinstate}
        verdict={verdict}
      />
      <WhyPanel
        strongest={strongest}
        loaded={decisions.data !== undefined}
        error={decisions.error}
        now={now}
      />
      <ChainPanel strongest={strongest} />
      <ActivityPanel
        activity={activity.data}
        error={activity.error}
        band={bandOf(baselines.data)}
        chartMs={chartMs}
        onChartMs={setChartMs}
        now={now}
      />
      <UsedPanel
        credentials={activity.data?.credentials}
        networks={activity.data?.networks}
        error={activity.error}
        now={now}
      />
      <DeliveriesPanel
        sent={audit.data ? sent : undefined}
        error={audit.error}
        now={now}
      />
      <TrailPanel trail={trail} now={now} />
      <ReasonDialog action={action} onClose={() => setAction(undefined)} />
    </article>
  );
}

/** The pending approvals with their countdowns, and revoke / reinstate. */
function DecidePanel(props: {
  pending: readonly PendingApproval[];
  onAction: (action: PendingAction) => void;
  revoke: PendingAction;
  reinstate: PendingAction;
  verdict: (item: PendingApproval, kind: "approve" | "deny") => PendingAction;
}) {
  const { pending, revoke, reinstate, verdict } = props;
  const setAction = props.onAction;
  return (
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
  );
}

/** Calls per minute against the baseline's band, over a chosen window. */
function ActivityPanel(props: {
  activity: Activity | undefined;
  error: unknown;
  band: Band | undefined;
  chartMs: number;
  onChartMs: (ms: number) => void;
  now: number;
}) {
  const { chartMs, now } = props;
  const setChartMs = props.onChartMs;
  return (
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
      {props.activity ? (
        <ActivityChart
          points={props.activity.per_minute}
          fromMs={now - chartMs}
          toMs={now}
          band={props.band}
        />
      ) : (
        <Loading what="activity" error={props.error} />
      )}
    </section>
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
