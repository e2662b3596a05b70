import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { Loading } from "../components/Bits.js";
import { DataTable, type Column } from "../components/DataTable.js";
import { describeProblem } from "../api.js";
import {
  agentPath,
  decisionSentence,
  whatIfRows,
  type WhatIfResult,
  type WhatIfRow,
} from "../model.js";
import { useSession } from "../session.js";

/** The query API caps a run at a day of stored events (POST /v1/what-if). */
const MAX_HOURS = 24;

/** The proposed policy as the analyst typed it: a JSON object, or why it is not one. */
function parseDocument(
  text: string,
): { ok: true; value: object } | { ok: false; problem: string } {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? { ok: true, value }
      : { ok: false, problem: "the policy must be a JSON object" };
  } catch (error) {
    return { ok: false, problem: `not JSON: ${describeProblem(error)}` };
  }
}

/**
 * What-if: a changed policy over the last hours of stored events, scored by the detector's
 * engine beside the policy in force, before anything is applied. Nothing here changes state.
 */
export function WhatIf() {
  const { api } = useSession();
  const ids = { policy: useId(), hours: useId(), problem: useId() };
  const current = useQuery({
    queryKey: ["policy"],
    queryFn: () =>
      api.query<{ policy: object; file: string | null }>("/v1/policy"),
    staleTime: Infinity,
  });
  const [text, setText] = useState<string>();
  const [hours, setHours] = useState(1);
  const [problem, setProblem] = useState<string>();
  const currentText = current.data
    ? JSON.stringify(current.data.policy, null, 2)
    : undefined;
  useEffect(() => {
    if (text === undefined && currentText !== undefined) setText(currentText);
  }, [text, currentText]);
  const run = useMutation({
    mutationFn: (body: { policy: object; hours: number }) =>
      api.queryPost<WhatIfResult>("/v1/what-if", body),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = parseDocument(text ?? "");
    if (!parsed.ok) {
      setProblem(parsed.problem);
      return;
    }
    setProblem(undefined);
    run.mutate({ policy: parsed.value, hours });
  }

  if (!current.data || text === undefined)
    return <Loading what="the policy in force" error={current.error} />;
  const refused = problem ?? (run.error ? describeProblem(run.error) : "");
  return (
    <section aria-labelledby="what-if-title">
      <h1 id="what-if-title">What-if</h1>
      <p className="hint">
        Edit the policy in force (
        {current.data.file ? <code>{current.data.file}</code> : "built-in"}) and
        run it over stored events: the decisions it would add, drop or change
        are listed before anything is applied.
      </p>
      <form className="what-if" onSubmit={submit} noValidate>
        <label htmlFor={ids.policy}>Proposed policy (JSON)</label>
        <textarea
          id={ids.policy}
          value={text}
          rows={18}
          spellCheck={false}
          aria-invalid={problem !== undefined}
          aria-describedby={ids.problem}
          onChange={(event) => setText(event.target.value)}
        />
        <div className="controls">
          <label htmlFor={ids.hours}>Hours of stored events</label>
          <input
            id={ids.hours}
            type="number"
            min={1}
            max={MAX_HOURS}
            value={hours}
            onChange={(event) =>
              setHours(
                Math.min(MAX_HOURS, Math.max(1, Number(event.target.value))),
              )
            }
          />
          <button type="submit" disabled={run.isPending}>
            {run.isPending ? "Running…" : "Run what-if"}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setText(currentText);
              setProblem(undefined);
            }}
          >
            Reset to the policy in force
          </button>
        </div>
        <p id={ids.problem} role="alert" className="problem">
          {refused ? `Not run: ${refused}` : ""}
        </p>
      </form>
      {run.data && !run.isPending ? <Differences result={run.data} /> : null}
    </section>
  );
}

const differenceColumns: readonly Column<WhatIfRow>[] = [
  {
    label: "Change",
    cell: (row) => (
      <span className={`tag tag-${row.change}`}>{row.change}</span>
    ),
  },
  {
    label: "Agent",
    className: "agent",
    cell: (row) => (
      <Link to={agentPath(row.decision.tenant ?? "", row.decision.agent_id)}>
        {row.decision.agent_id}
      </Link>
    ),
  },
  { label: "Tenant", cell: (row) => row.decision.tenant },
  { label: "Action", cell: (row) => row.action },
  {
    label: "At",
    cell: (row) => (
      <time dateTime={row.decision.at}>
        {new Date(row.decision.at).toLocaleString()}
      </time>
    ),
  },
  { label: "Decision", cell: (row) => decisionSentence(row.decision) },
];

function Differences(props: { result: WhatIfResult }) {
  const { result } = props;
  const rows = whatIfRows(result);
  return (
    <section aria-labelledby="differences-title" data-testid="what-if-result">
      <h2 id="differences-title">Differences</h2>
      <p role="status">
        {result.events} stored events from{" "}
        {new Date(result.from).toLocaleString()} to{" "}
        {new Date(result.to).toLocaleString()}: {result.decisions.current}{" "}
        decisions under the policy in force, {result.decisions.proposed} under
        the proposed one — {result.counts.appeared} would appear,{" "}
        {result.counts.disappeared} disappear, {result.counts.changed} change
        action.
        {result.complete
          ? ""
          : ` Stopped early (${result.stopped === "time_limit" ? "time limit" : "event limit"}): fewer hours give the whole picture.`}
      </p>
      {rows.length === 0 ? (
        <p className="empty">The proposed policy decides exactly the same.</p>
      ) : (
        <DataTable
          cards
          columns={differenceColumns}
          rows={rows}
          rowKey={(row) => row.key}
        />
      )}
    </section>
  );
}
