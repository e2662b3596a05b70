import {
  durationMs,
  integer,
  makeValidator,
  matching,
  readEnv,
} from "@warden/shared";
import {
  EventType,
  parseFindingSinks,
  type FindingSinkConfig,
  type SigningAlg,
} from "@warden/revoker";
import { AGENT_EVENT_TYPES, SHORT_EVENT_NAMES } from "./ssf/event-types.js";

/**
 * The all-in-one's SSF transmitter settings (WARDEN_*): who it says it is, which key signs,
 * and the one push receiver an operator configures without an API. Validated at start-up
 * with the other variables, so one message names everything wrong.
 */
export interface TransmitterConfig {
  /** `iss` of every SET; undefined means `http://<host>:<port>` of the all-in-one itself. */
  readonly issuer: string | undefined;
  /** Private JWKs kept like the revoker's; undefined means the data directory's. */
  readonly signingKeyFile: string | undefined;
  /** Queued SETs, streams, approvals, kill switch, keys, audit; undefined means under CHDB_PATH. */
  readonly dataDir: string | undefined;
  readonly signingAlg: SigningAlg;
  readonly pushTimeoutMs: number;
  readonly push: ConfiguredPush | undefined;
  /** Where every decision goes as an OCSF Detection Finding (Splunk HEC, JSON webhooks). */
  readonly findingSinks: readonly FindingSinkConfig[];
  /** Audit records waiting for the store at which ingest is refused (503 `backlog`). */
  readonly auditBacklog: number;
}

export interface ConfiguredPush {
  readonly url: string;
  readonly audience: string;
  /** Sent as the Authorization header; never logged. */
  readonly authorization: string | undefined;
  readonly events: readonly string[];
}

export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/**
 * The detector settings (DETECTOR_*) the all-in-one starts from when they are not set: a laptop
 * process holds fewer agents than a detector instance, and keeps each longer so that a demo's
 * or a proof of concept's quiet hours do not drop what was learnt.
 */
export const ALL_IN_ONE_DETECTOR_DEFAULTS = {
  DETECTOR_MAX_AGENTS: "100000",
  DETECTOR_IDLE_EVICT: "6h",
} as const;
export const DEFAULT_AUDIT_BACKLOG = 10_000;

/** `session-revoked,account-disabled` or full URIs → event type URIs. Pure. */
export function parseEventList(text: string): readonly string[] {
  const known = Object.values(AGENT_EVENT_TYPES);
  const events = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const uri = known.includes(item) ? item : AGENT_EVENT_TYPES[item];
      if (uri === undefined)
        throw new Error(
          `unknown event "${item}" (one of ${SHORT_EVENT_NAMES.join(", ")})`,
        );
      return uri;
    });
  if (events.length === 0) throw new Error("at least one event type");
  return [...new Set(events)];
}

const eventList = makeValidator<readonly string[]>(parseEventList);
const findingSinks =
  makeValidator<readonly FindingSinkConfig[]>(parseFindingSinks);
const secretText = makeValidator<string>((input) => input);
const HTTP_URL = /^https?:\/\/\S+$/;

export function loadTransmitterConfig(
  env: Record<string, string | undefined>,
  /** Whether the revoker's TLS settings (REVOKER_TLS_*) make the all-in-one serve https. */
  servesTls = false,
): TransmitterConfig {
  const raw = readEnv(env, {
    WARDEN_ISSUER: matching(
      /^$|^https?:\/\/\S+$/,
      "an http(s) URL",
    )({
      default: "",
      desc: "iss of every SET (empty: the all-in-one's own URL)",
    }),
    WARDEN_SIGNING_KEY_FILE: matching(
      /^\S*$/,
      "a file path",
    )({
      default: "",
      desc: "private signing keys (empty: signing-keys.json in WARDEN_DATA_DIR)",
    }),
    WARDEN_DATA_DIR: matching(
      /^\S*$/,
      "a directory path",
    )({
      default: "",
      desc: "the all-in-one's durable state (empty: all-in-one/ inside CHDB_PATH)",
    }),
    WARDEN_SIGNING_ALG: matching(
      /^(RS256|ES256)$/,
      "RS256 or ES256",
    )({
      default: "RS256",
    }),
    WARDEN_PUSH_TIMEOUT: durationMs({ default: DEFAULT_PUSH_TIMEOUT_MS }),
    WARDEN_PUSH_URL: matching(
      /^$|^https?:\/\/\S+$/,
      "an http(s) URL",
    )({
      default: "",
      desc: "push endpoint of an SSF receiver (empty: none)",
    }),
    WARDEN_PUSH_AUDIENCE: matching(/^\S*$/, "an audience")({ default: "" }),
    // Any text is a valid header value; a validator that never fails never echoes the secret.
    WARDEN_PUSH_AUTHORIZATION: secretText({ default: "" }),
    WARDEN_PUSH_EVENTS: eventList({
      default: [EventType.sessionRevoked],
      desc: "comma-separated event names, e.g. session-revoked,account-disabled",
    }),
    WARDEN_FINDING_SINKS: findingSinks({
      default: [],
      desc: 'JSON array: [{"id","type":"splunk_hec","url","token","index?","sourcetype?"} | {"id","type":"ocsf_webhook","url","secret?"}]',
    }),
    WARDEN_AUDIT_BACKLOG: integer(1)({
      default: DEFAULT_AUDIT_BACKLOG,
      desc: "audit records waiting for the embedded store at which ingest answers 503",
    }),
  });
  if (servesTls && raw.WARDEN_ISSUER.startsWith("http:"))
    throw new Error(
      "WARDEN_ISSUER: must be https when REVOKER_TLS_CERT_FILE is set (every metadata URL is built from it)",
    );
  const url = raw.WARDEN_PUSH_URL;
  return {
    issuer: raw.WARDEN_ISSUER || undefined,
    signingKeyFile: raw.WARDEN_SIGNING_KEY_FILE || undefined,
    dataDir: raw.WARDEN_DATA_DIR || undefined,
    signingAlg: raw.WARDEN_SIGNING_ALG as SigningAlg,
    pushTimeoutMs: raw.WARDEN_PUSH_TIMEOUT,
    push: HTTP_URL.test(url)
      ? {
          url,
          audience: raw.WARDEN_PUSH_AUDIENCE || url,
          authorization: raw.WARDEN_PUSH_AUTHORIZATION || undefined,
          events: raw.WARDEN_PUSH_EVENTS,
        }
      : undefined,
    findingSinks: raw.WARDEN_FINDING_SINKS,
    auditBacklog: raw.WARDEN_AUDIT_BACKLOG,
  };
}
