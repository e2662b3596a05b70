import type { HttpCall } from "./connectors.js";
import { webhookSignature } from "./connectors.js";
import type { OcsfFinding } from "./ocsf-finding.js";

/**
 * Where OCSF Detection Findings are sent (issue 17, findings out): Splunk's HTTP Event
 * Collector, or any HTTP endpoint taking a JSON array (a SIEM's webhook, a log shipper),
 * signed like the revoker's webhook connector. Configured as a JSON array; this module parses
 * it and builds the requests, the adapter sends them with retries and a dead letter.
 */
export const FindingSinkType = {
  splunkHec: "splunk_hec",
  webhook: "ocsf_webhook",
} as const;
export type FindingSinkType =
  (typeof FindingSinkType)[keyof typeof FindingSinkType];

export const DEFAULT_HEC_SOURCETYPE = "ocsf:detection_finding";

export type FindingSinkConfig =
  | {
      readonly id: string;
      readonly type: typeof FindingSinkType.splunkHec;
      /** The collector's base URL, e.g. https://splunk.example:8088 (the event endpoint is added). */
      readonly url: string;
      /** The HEC token; sent as `Authorization: Splunk <token>`, never logged. */
      readonly token: string;
      readonly index?: string;
      readonly sourcetype: string;
    }
  | {
      readonly id: string;
      readonly type: typeof FindingSinkType.webhook;
      readonly url: string;
      /** When set, bodies are signed: `X-Warden-Signature: t=<s>,v1=<HMAC-SHA256 of "<t>.<body>">`. */
      readonly secret?: string;
    };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function httpUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${where}: "url" as an http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`${where}: "url" as an http(s) URL`);
  return value.replace(/\/+$/, "");
}

/** Parses the JSON of WARDEN_FINDING_SINKS; throws an Error naming the entry at fault. */
export function parseFindingSinks(json: string): FindingSinkConfig[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error("a JSON array of finding sinks");
  const seen = new Set<string>();
  return value.map((item: unknown, index) => {
    const entry = (
      typeof item === "object" && item !== null ? item : {}
    ) as Record<string, unknown>;
    const text = (field: string, optional = false): string | undefined => {
      const got = entry[field];
      if (got === undefined && optional) return undefined;
      if (typeof got !== "string" || got === "")
        throw new Error(
          `finding sink ${index}: "${field}" as a non-empty string`,
        );
      return got;
    };
    const id = text("id") as string;
    if (!ID.test(id) || seen.has(id))
      throw new Error(
        `finding sink ${index}: a unique "id" of A-Z a-z 0-9 _ -`,
      );
    seen.add(id);
    const url = httpUrl(text("url") as string, `finding sink ${id}`);
    switch (entry["type"]) {
      case FindingSinkType.splunkHec: {
        const index = text("index", true);
        return {
          id,
          type: FindingSinkType.splunkHec,
          url,
          token: text("token") as string,
          ...(index ? { index } : {}),
          sourcetype: text("sourcetype", true) ?? DEFAULT_HEC_SOURCETYPE,
        };
      }
      case FindingSinkType.webhook: {
        const secret = text("secret", true);
        return {
          id,
          type: FindingSinkType.webhook,
          url,
          ...(secret ? { secret } : {}),
        };
      }
      default:
        throw new Error(
          `finding sink ${id}: "type" one of ${Object.values(FindingSinkType).join(", ")}`,
        );
    }
  });
}

/**
 * Splunk HEC's event endpoint (`/services/collector/event`): one JSON event object per
 * finding, concatenated, each with `time` in epoch seconds and the finding as `event`.
 */
export function hecRequest(
  sink: Extract<FindingSinkConfig, { type: "splunk_hec" }>,
  findings: readonly OcsfFinding[],
): HttpCall {
  const body = findings
    .map((finding) =>
      JSON.stringify({
        time: finding.time / 1000,
        source: "warden",
        sourcetype: sink.sourcetype,
        ...(sink.index ? { index: sink.index } : {}),
        event: finding,
      }),
    )
    .join("\n");
  return {
    method: "POST",
    url: sink.url.endsWith("/services/collector/event")
      ? sink.url
      : `${sink.url}/services/collector/event`,
    headers: {
      "content-type": "application/json",
      authorization: `Splunk ${sink.token}`,
    },
    body,
  };
}

export function findingsWebhookRequest(
  sink: Extract<FindingSinkConfig, { type: "ocsf_webhook" }>,
  findings: readonly OcsfFinding[],
  nowSeconds: number,
): HttpCall {
  const body = JSON.stringify(findings);
  const timestamp = Math.floor(nowSeconds);
  return {
    method: "POST",
    url: sink.url,
    headers: {
      "content-type": "application/json",
      ...(sink.secret
        ? {
            "x-warden-signature": `t=${timestamp},v1=${webhookSignature(sink.secret, timestamp, body)}`,
          }
        : {}),
    },
    body,
  };
}

export function findingSinkRequest(
  sink: FindingSinkConfig,
  findings: readonly OcsfFinding[],
  nowSeconds: number,
): HttpCall {
  return sink.type === FindingSinkType.splunkHec
    ? hecRequest(sink, findings)
    : findingsWebhookRequest(sink, findings, nowSeconds);
}
