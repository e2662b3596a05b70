import { Ago, Loading, Risk, StateTag } from "./Bits.js";
import { DataTable, type Column } from "./DataTable.js";
import {
  decisionSentence,
  delegationChain,
  formatDuration,
  formatValue,
  timeToDecide,
  type AuditRecord,
  type Decision,
  type Delivery,
  type Reason,
} from "../model.js";

/**
 * The read-only panels of the incident / agent page (pages/AgentView.tsx). Every string in
 * them may come from an attacker: rendered as text only.
 */

export interface Used {
  readonly value: string;
  readonly calls: number;
  readonly last_seen: string;
}

const reasonColumns: readonly Column<Reason>[] = [
  { label: "Detector", rowHeader: true, cell: (reason) => reason.detector },
  { label: "Observed", cell: (reason) => formatValue(reason.observed) },
  { label: "Expected", cell: (reason) => formatValue(reason.expected) },
  { label: "Score", cell: (reason) => reason.score.toFixed(2) },
];

const deliveryColumns = (now: number): readonly Column<Delivery>[] => [
  {
    label: "Receiver",
    cell: (item) => (
      <>
        {item.receiver} <span className="hint">({item.streamId})</span>
      </>
    ),
  },
  { label: "Event", cell: (item) => item.eventType },
  { label: "Cause", cell: (item) => item.action },
  { label: "State", cell: (item) => <StateTag state={item.state} /> },
  { label: "Attempts", cell: (item) => item.attempts },
  { label: "Answer", cell: (item) => item.answer || "—" },
  { label: "When", cell: (item) => <Ago at={item.at} now={now} /> },
];

/** The strongest decision's sentence, and each reason's observed against expected. */
export function WhyPanel(props: {
  strongest: Decision | undefined;
  loaded: boolean;
  error: unknown;
  now: number;
}) {
  const { strongest, now } = props;
  return (
    <section aria-labelledby="why-title" className="panel">
      <h2 id="why-title">Why</h2>
      {!props.loaded ? (
        <Loading what="decisions" error={props.error} />
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
          <DataTable
            columns={reasonColumns}
            rows={[...strongest.reasons].sort((a, b) => b.score - a.score)}
            rowKey={(reason) => reason.detector}
          />
        </>
      )}
    </section>
  );
}

/** Who the agent acts for, from the agent up to its human owner. */
export function ChainPanel(props: { strongest: Decision | undefined }) {
  const { strongest } = props;
  return (
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
                  index === chain.length - 1 && chain.length > 1 ? "owner" : ""
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
  );
}

export function UsedPanel(props: {
  credentials: readonly Used[] | undefined;
  networks: readonly Used[] | undefined;
  error: unknown;
  now: number;
}) {
  const { now } = props;
  return (
    <section aria-labelledby="creds-title" className="panel">
      <h2 id="creds-title">Credentials and networks</h2>
      {props.credentials && props.networks ? (
        <div className="two">
          <UsedList title="Credentials" items={props.credentials} now={now} />
          <UsedList title="Source addresses" items={props.networks} now={now} />
        </div>
      ) : (
        <Loading what="credentials" error={props.error} />
      )}
    </section>
  );
}

/** Every SET sent about the agent, per receiver, with its delivery state. */
export function DeliveriesPanel(props: {
  sent: readonly Delivery[] | undefined;
  error: unknown;
  now: number;
}) {
  const { now } = props;
  const sent = props.sent ?? [];
  return (
    <section aria-labelledby="sets-title" className="panel wide">
      <h2 id="sets-title">Security events sent</h2>
      {!props.sent ? (
        <Loading what="deliveries" error={props.error} />
      ) : sent.length === 0 ? (
        <p className="empty">
          No security event has been sent about this agent.
        </p>
      ) : (
        <DataTable
          cards
          testId="deliveries"
          columns={deliveryColumns(now)}
          rows={sent}
          rowKey={(item) =>
            `${item.txn}\u0000${item.streamId}\u0000${item.eventType}\u0000${item.at}`
          }
        />
      )}
    </section>
  );
}

export function TrailPanel(props: {
  trail: readonly AuditRecord[];
  now: number;
}) {
  const { trail, now } = props;
  return (
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
