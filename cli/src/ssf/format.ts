import { shortEventName } from "./event-types.js";
import { printable } from "../terminal-text.js";
import { DeliveryMethod } from "./options.js";

/** A stream configuration as the revoker answers it (SSF 1.0 §8.1.1), the fields shown here. */
export interface StreamConfiguration {
  readonly stream_id: string;
  readonly iss?: string;
  readonly aud?: string | readonly string[];
  readonly delivery?: {
    readonly method?: string;
    readonly endpoint_url?: string;
  };
  readonly events_requested?: readonly string[];
  readonly events_delivered?: readonly string[];
  readonly description?: string;
  readonly subject_format?: string;
  readonly min_verification_interval?: number;
  readonly inactivity_timeout?: number;
}

export interface StreamStatusAnswer {
  readonly stream_id: string;
  readonly status: string;
  readonly reason?: string;
}

export function deliveryName(method: string | undefined): string {
  if (method === DeliveryMethod.push) return "push";
  if (method === DeliveryMethod.poll) return "poll";
  return method ?? "?";
}

/** Columns separated by two spaces, each as wide as its widest cell; no trailing spaces. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows].map((row) => row.map(printable));
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? "").length)),
  );
  return all
    .map((row) =>
      header
        .map((_, column) => {
          const cell = row[column] ?? "";
          return column === header.length - 1
            ? cell
            : cell.padEnd(widths[column] ?? 0);
        })
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

function statusText(status: StreamStatusAnswer | undefined): string {
  if (!status) return "?";
  return status.reason ? `${status.status} (${status.reason})` : status.status;
}

/** `warden receivers list`: one line per stream. */
export function formatStreamList(
  streams: readonly {
    readonly config: StreamConfiguration;
    readonly status?: StreamStatusAnswer;
  }[],
): string {
  if (streams.length === 0) return "no streams\n";
  return formatTable(
    ["STREAM", "STATUS", "DELIVERY", "ENDPOINT", "EVENTS"],
    streams.map(({ config, status }) => [
      config.stream_id,
      statusText(status),
      deliveryName(config.delivery?.method),
      config.delivery?.endpoint_url ?? "",
      (config.events_delivered ?? []).map(shortEventName).join(",") || "-",
    ]),
  );
}

/** `warden receivers show`: every field on its own line. */
export function formatStreamDetails(
  config: StreamConfiguration,
  status: StreamStatusAnswer | undefined,
): string {
  const aud =
    typeof config.aud === "string" ? config.aud : (config.aud ?? []).join(", ");
  const lines: [string, string][] = [
    ["stream_id", config.stream_id],
    ["status", statusText(status)],
    ["iss", config.iss ?? ""],
    ["aud", aud],
    ["delivery", deliveryName(config.delivery?.method)],
    ["endpoint_url", config.delivery?.endpoint_url ?? ""],
    ["events_requested", (config.events_requested ?? []).join(" ")],
    ["events_delivered", (config.events_delivered ?? []).join(" ")],
  ];
  if (config.subject_format !== undefined)
    lines.push(["subject_format", config.subject_format]);
  if (config.description !== undefined)
    lines.push(["description", config.description]);
  if (config.min_verification_interval !== undefined)
    lines.push([
      "min_verification_interval",
      `${config.min_verification_interval} s`,
    ]);
  if (config.inactivity_timeout !== undefined)
    lines.push(["inactivity_timeout", `${config.inactivity_timeout} s`]);
  return formatTable(["FIELD", "VALUE"], lines).replace(/^.*\n/u, "");
}

export function formatStatus(status: StreamStatusAnswer): string {
  return `${printable(status.stream_id)}  ${printable(statusText(status))}\n`;
}

/** One key as `GET /admin/keys` answers it. */
export interface KeyDescription {
  readonly kid: string;
  readonly alg: string;
  readonly created_at: string;
  readonly status: string;
  readonly until: string;
}

/** `warden keys list`: the JWKS's keys, the signing key first. */
export function formatKeyList(keys: readonly KeyDescription[]): string {
  if (keys.length === 0) return "no keys\n";
  return formatTable(
    ["KID", "ALG", "STATUS", "CREATED", "UNTIL"],
    keys.map((key) => [
      key.kid,
      key.alg,
      key.status,
      key.created_at,
      `${key.status === "active" ? "rotates" : "leaves JWKS"} ${key.until}`,
    ]),
  );
}

/** `warden keys rotate`: what signs now and how long the previous key stays verifiable. */
export function formatRotation(answer: {
  readonly previous_kid: string;
  readonly active_kid: string;
  readonly keys: readonly KeyDescription[];
}): string {
  const previous = answer.keys.find((key) => key.kid === answer.previous_kid);
  return (
    `signing key rotated: ${printable(answer.active_kid)} signs from now on\n` +
    (previous
      ? `previous key ${printable(previous.kid)} stays in the JWKS until ${printable(previous.until)}\n`
      : `previous key ${printable(answer.previous_kid)} has left the JWKS\n`)
  );
}
