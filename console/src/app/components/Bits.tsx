import type { ReactNode } from "react";
import { describeProblem } from "../api.js";
import { formatDuration } from "../model.js";

const STATE_LABEL: Record<string, string> = {
  alerted: "alerted",
  awaiting_approval: "awaiting approval",
  revoked: "revoked",
  stepped_up: "step-up required",
  denied: "revocation denied",
  reinstated: "reinstated",
  queued: "queued",
  delivered: "delivered",
  retrying: "retrying",
  refused: "refused",
  dead_lettered: "dead-lettered",
  dropped: "dropped",
  enabled: "enabled",
  paused: "paused",
  disabled: "disabled",
};

/** A state as a word and a colour; the word carries the meaning, the colour only helps. */
export function StateTag(props: { state: string }) {
  return (
    <span className={`tag tag-${props.state.replace(/[^a-z_]/gu, "")}`}>
      {STATE_LABEL[props.state] ?? props.state}
    </span>
  );
}

export function Risk(props: { value: number }) {
  const level =
    props.value >= 0.8 ? "high" : props.value >= 0.5 ? "medium" : "low";
  return (
    <span
      className={`risk risk-${level}`}
      title={`risk ${props.value.toFixed(3)}`}
    >
      {props.value.toFixed(2)}
    </span>
  );
}

const SKEW_MS = 60_000;

export function Ago(props: { at: string; now: number }) {
  const ms = props.now - Date.parse(props.at);
  return (
    <time dateTime={props.at} title={new Date(props.at).toLocaleString()}>
      {ms >= 0
        ? `${formatDuration(ms)} ago`
        : // The server's clock may run a little ahead of the tab's tick.
          ms > -SKEW_MS
          ? "just now"
          : `in ${formatDuration(-ms)}`}
    </time>
  );
}

export function Loading(props: {
  what: string;
  error: unknown;
  children?: ReactNode;
}) {
  if (props.error)
    return (
      <p role="alert" className="problem">
        Could not load {props.what}: {describeProblem(props.error)}
      </p>
    );
  return <p aria-busy="true">Loading {props.what}…</p>;
}
