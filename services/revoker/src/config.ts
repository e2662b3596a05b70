import { bool, makeValidator, str } from "envalid";
import {
  durationMs,
  integer,
  matching,
  portNumber,
  readAll,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  readNatsConfig,
  sizeBytes,
  HOLD_CLASSES,
  type HoldClass,
  type CommonConfig,
  type KafkaConfig,
  type NatsConfig,
} from "@warden/shared";
import {
  AGENT_EVENT_TYPES,
  EventType,
  StepUpEvent,
} from "./core/event-types.js";
import { ApprovalDefault } from "./core/approval.js";
import { parseConnectors, type ConnectorConfig } from "./core/connectors.js";
import { parseReceivers, type Receiver } from "./core/receivers.js";
import { ALL_TENANTS, type DefaultSubjects } from "./core/stream.js";
import { SUBJECT_FORMATS, SubjectFormat } from "./core/subject.js";
import { isCidr } from "./core/url-guard.js";
import { SIGNING_ALGS, type SigningAlg } from "./signing-key.js";
import { DEFAULT_CASCADE_MAX_AGENTS } from "./core/cascade.js";

export const DEFAULT_REVOKER_OPS_PORT = 9104;
export const DEFAULT_REVOKER_HTTP_PORT = 8088;
export const DEFAULT_REVOKER_ISSUER = "http://127.0.0.1:8088";
export const DEFAULT_CONSOLE_QUERY_API = "http://127.0.0.1:8089";
export const DEFAULT_REVOKER_SIGNING_KEY_FILE =
  ".warden/revoker/signing-key.json";
export const DEFAULT_KEY_ROTATION_MS = 30 * 86_400_000;
export const DEFAULT_KEY_OVERLAP_MS = 7 * 86_400_000;
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;
export const DEFAULT_PUSH_MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_PUSH_CONCURRENCY = 16;
export const DEFAULT_RETRY_INITIAL_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;
export const DEFAULT_DEAD_LETTER_AFTER_MS = 24 * 3_600_000;
export const DEFAULT_QUEUE_MAX_AGE_MS = 7 * 86_400_000;
/** The SET queue's de-duplication window (jti = message id); JetStream wants it inside max_age. */
export const SET_QUEUE_DUPLICATE_WINDOW_MS = 10 * 60_000;
/** Byte cap of the whole SET queue stream (JetStream max_bytes, discard new: a full queue refuses, never drops). */
export const DEFAULT_QUEUE_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** SETs one SSF stream may have queued per kind (max_msgs_per_subject): one receiver cannot fill the queue for all. */
export const DEFAULT_QUEUE_MAX_PER_STREAM = 100_000;
/** SSF streams one receiver may have (issue 16: one receiver cannot exhaust the revoker). */
export const DEFAULT_MAX_STREAMS_PER_RECEIVER = 10;
/** Subjects one stream may list (added plus removed). */
export const DEFAULT_MAX_SUBJECTS_PER_STREAM = 10_000;
/** Failed deliveries of one decision before it goes to the dead-letter stream. */
export const DEFAULT_DECISION_MAX_DELIVERIES = 10;
export const DEFAULT_BREAKER_FAILURES = 5;
export const DEFAULT_BREAKER_OPEN_MS = 30_000;
export const DEFAULT_POLL_ACK_WAIT_MS = 60_000;
export const DEFAULT_POLL_WAIT_MS = 10_000;
export const DEFAULT_MIN_VERIFICATION_INTERVAL_MS = 30_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;
/** How long a step-up's owner has to approve before the hold becomes a revoke. */
export const DEFAULT_HOLD_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_CASCADE_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_CASCADE_MAX_EDGES = 100_000;
/** One tenant's share of the delegation graph (issue 16: no tenant flushes another's tree). */
export const DEFAULT_CASCADE_MAX_EDGES_PER_TENANT = 25_000;
export const DEFAULT_AUTO_PAUSE_AFTER_MS = 6 * 3_600_000;
/** An agent with no new finding for a day after an alert has recovered. */
export const DEFAULT_RISK_RECOVERY_AFTER_MS = 86_400_000;
/** 0: streams never time out (SSF 1.0 makes `inactivity_timeout` optional). */
export const DEFAULT_STREAM_INACTIVITY_TIMEOUT_MS = 0;
/** The one static push stream kept for deployments configured by REVOKER_PUSH_URL. */
export const STATIC_STREAM_ID = "static-push";

const HTTP_URL = /^https?:\/\/\S+$/;

export interface RevokerConfig {
  readonly common: CommonConfig;
  readonly nats: NatsConfig;
  readonly kafka: KafkaConfig;
  readonly issuer: string;
  readonly httpHost: string;
  readonly httpPort: number;
  /** Serve the SSF API over HTTPS with these PEM files; undefined: plain HTTP (behind a TLS proxy). */
  readonly tls:
    { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Accept OAuth 2.0 JWT access tokens (RFC 9068) from this authorization server; undefined: static tokens only. */
  readonly oauth:
    | {
        readonly issuer: string;
        /** undefined: the host's own issuer (REVOKER_ISSUER, or the all-in-one's URL). */
        readonly audience: string | undefined;
        readonly jwksUri: string | undefined;
      }
    | undefined;
  readonly signing: {
    readonly file: string;
    readonly alg: SigningAlg;
    readonly rotationMs: number;
    readonly overlapMs: number;
  };
  readonly receivers: readonly Receiver[];
  /** The SOC console (issue 19): served or not, and where its pages find the query API. */
  readonly console: {
    readonly enabled: boolean;
    readonly queryApiUrl: string;
  };
  /** Per-tenant connectors (RFC 7009, SCIM, webhook); secrets inside, never logged. */
  readonly connectors: readonly ConnectorConfig[];
  readonly defaultSubjects: DefaultSubjects;
  readonly sets: {
    /**
     * iss_sub `iss` of a tenant's agents: a template with `{tenant}` (undefined: the host's
     * issuer + `/tenants/{tenant}`, resolved in settings.ts since the all-in-one's issuer is
     * its own URL, known only once bound) …
     */
    readonly subjectIssuerTemplate: string | undefined;
    /** … unless the tenant has its own agent issuer. */
    readonly tenantSubjectIssuers: Readonly<Record<string, string>>;
    readonly stepUpEvent: StepUpEvent;
    readonly stepUpNamespace: string;
    readonly stepUpLevel: string;
    /** An alert followed by no decision this long is reported back at LOW; 0 never. */
    readonly riskRecoveryAfterMs: number;
    readonly credentialType: string;
  };
  readonly urlPolicy: {
    readonly allowHttp: boolean;
    readonly allowedCidrs: readonly string[];
  };
  readonly delivery: {
    readonly timeoutMs: number;
    readonly maxResponseBytes: number;
    readonly concurrency: number;
    readonly retryInitialMs: number;
    readonly retryMaxMs: number;
    readonly deadLetterAfterMs: number;
    /** Pause a push stream after this long of failing pushes; 0 never. */
    readonly autoPauseAfterMs: number;
    /** SSF `inactivity_timeout`; 0 none. */
    readonly inactivityTimeoutMs: number;
    readonly queueMaxAgeMs: number;
    readonly queueMaxBytes: number;
    readonly queueMaxPerStream: number;
    readonly decisionMaxDeliveries: number;
    readonly maxStreamsPerReceiver: number;
    readonly maxSubjectsPerStream: number;
    readonly breakerFailures: number;
    readonly breakerOpenMs: number;
    readonly pollAckWaitMs: number;
    readonly pollWaitMs: number;
    readonly minVerificationIntervalMs: number;
  };
  /** Revoke decisions about matching agents wait for a person (or the timeout's default). */
  readonly approval: {
    readonly patterns: readonly string[];
    readonly timeoutMs: number;
    readonly defaultVerdict: ApprovalDefault;
    /** A step-up holds these kinds of call until the owner approves, for at most `holdTimeoutMs`. */
    readonly holdActions: readonly HoldClass[];
    readonly holdTimeoutMs: number;
  };
  /** Revoking an agent revokes the sub-agents it delegated to (seen within `windowMs`). */
  readonly cascade: {
    readonly enabled: boolean;
    readonly windowMs: number;
    readonly maxEdges: number;
    readonly maxEdgesPerTenant: number;
    /** Most sub-agents one revoke cascades to. */
    readonly maxAgents: number;
  };
  /** A push stream configured by the operator instead of through the API; undefined if none. */
  readonly staticPush:
    | {
        readonly url: string;
        readonly audience: string;
        /** Sent as the Authorization header of every push; never logged. */
        readonly authorization: string | undefined;
        readonly events: readonly string[];
        /** The tenant it covers (`*`: all) and how it names agents. */
        readonly tenant: string;
        readonly subjectFormat: SubjectFormat;
      }
    | undefined;
}

function eventList(input: string): readonly string[] {
  const short = new Map(
    AGENT_EVENT_TYPES.map((type) => [type.replace(/^.*\//, ""), type]),
  );
  return input.split(",").map((item) => {
    const name = item.trim();
    const type =
      short.get(name) ??
      (AGENT_EVENT_TYPES.includes(name as EventType) ? name : undefined);
    if (!type) throw new Error(`unknown event type ${name}`);
    return type;
  });
}

const makeReceivers = makeValidator<readonly Receiver[]>((input) => {
  try {
    return parseReceivers(input);
  } catch (error) {
    throw new Error(
      error instanceof SyntaxError ? "JSON" : (error as Error).message,
    );
  }
});

/** REVOKER_TENANT_SUBJECT_ISSUERS: `{"<tenant>": "<issuer>"}`, issuers distinct so subjects never collide. */
const makeTenantIssuers = makeValidator<Readonly<Record<string, string>>>(
  (input) => {
    let value: unknown;
    try {
      value = JSON.parse(input);
    } catch {
      throw new Error("JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error('a JSON object {"<tenant>": "<issuer URL>"}');
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [tenant, issuer] of entries)
      if (typeof issuer !== "string" || !URL.canParse(issuer))
        throw new Error(`tenant ${tenant}: an issuer URL`);
    if (new Set(entries.map(([, issuer]) => issuer)).size !== entries.length)
      throw new Error(
        "two tenants share an issuer: their agents' subjects would collide",
      );
    return Object.freeze(Object.fromEntries(entries)) as Record<string, string>;
  },
);

const makeConnectors = makeValidator<readonly ConnectorConfig[]>((input) => {
  try {
    return parseConnectors(input);
  } catch (error) {
    throw new Error(
      error instanceof SyntaxError ? "JSON" : (error as Error).message,
    );
  }
});

const makePatterns = makeValidator<readonly string[]>((input) =>
  input
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      if (!item.includes("/"))
        throw new Error(`<tenant>/<agent> patterns, got "${item}"`);
      return item;
    }),
);

const makeHoldClasses = makeValidator<readonly HoldClass[]>((input) => {
  const items = input
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter(
    (item) => !(HOLD_CLASSES as readonly string[]).includes(item),
  );
  if (unknown.length > 0 || items.length === 0)
    throw new Error(
      `a comma-separated non-empty list of ${HOLD_CLASSES.join(", ")}${unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""}`,
    );
  return [...new Set(items)] as HoldClass[];
});

const makeCidrs = makeValidator<readonly string[]>((input) => {
  const items = input
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  const bad = items.find((item) => !isCidr(item));
  if (bad !== undefined)
    throw new Error(`CIDR ranges like 10.0.0.0/8, got "${bad}"`);
  return items;
});

const makeEvents = makeValidator<readonly string[]>(eventList);

export function loadRevokerConfig(
  env: Record<string, string | undefined>,
  /**
   * The all-in-one names its issuer with WARDEN_ISSUER (default: its own URL) and checks it
   * against the same TLS settings itself; REVOKER_ISSUER is then not its issuer.
   */
  host: "service" | "all-in-one" = "service",
): RevokerConfig {
  const groups = readAll(env, {
    common: (e) => readCommonConfig(e, DEFAULT_REVOKER_OPS_PORT),
    nats: readNatsConfig,
    kafka: readKafkaConfig,
    revoker: (e) => {
      const raw = readEnv(e, {
        REVOKER_ISSUER: matching(
          HTTP_URL,
          "an http(s) URL",
        )({
          default: DEFAULT_REVOKER_ISSUER,
          desc: "iss of every SET and the transmitter's issuer",
        }),
        REVOKER_HTTP_HOST: matching(
          /^\S+$/,
          "a host name or address",
        )({
          default: "127.0.0.1",
          desc: "address the SSF API binds to",
        }),
        REVOKER_HTTP_PORT: portNumber({
          default: DEFAULT_REVOKER_HTTP_PORT,
          desc: "port of the SSF API (0 = any)",
        }),
        REVOKER_TLS_CERT_FILE: str({
          default: "",
          desc: "PEM certificate chain: serve the SSF API over HTTPS (with REVOKER_TLS_KEY_FILE)",
        }),
        REVOKER_TLS_KEY_FILE: str({
          default: "",
          desc: "PEM private key of REVOKER_TLS_CERT_FILE",
        }),
        REVOKER_OAUTH_ISSUER: matching(
          /^$|^https:\/\/\S+$/,
          "an https issuer URL of the authorization server",
        )({
          default: "",
          desc: "accept its JWT access tokens (RFC 9068) besides static tokens",
        }),
        REVOKER_OAUTH_AUDIENCE: str({
          default: "",
          desc: "aud of those tokens (empty: REVOKER_ISSUER; in the all-in-one its issuer)",
        }),
        REVOKER_OAUTH_JWKS_URI: matching(
          /^$|^https:\/\/\S+$/,
          "an https URL",
        )({
          default: "",
          desc: "its JWKS (empty: from its discovery document)",
        }),
        REVOKER_SIGNING_KEY_FILE: matching(
          /^\S.*$/,
          "a file path",
        )({
          default: DEFAULT_REVOKER_SIGNING_KEY_FILE,
          desc: "private signing keys; generated on first start",
        }),
        REVOKER_SIGNING_ALG: str({ choices: SIGNING_ALGS, default: "RS256" }),
        REVOKER_KEY_ROTATION: durationMs({ default: DEFAULT_KEY_ROTATION_MS }),
        REVOKER_KEY_OVERLAP: durationMs({ default: DEFAULT_KEY_OVERLAP_MS }),
        REVOKER_RECEIVERS: makeReceivers({
          default: [],
          desc: 'JSON [{"id","tenant","token_sha256","scopes","audience"}]',
        }),
        REVOKER_CONNECTORS: makeConnectors({
          default: [],
          desc: 'JSON [{"id","type","tenant",...}]',
        }),
        REVOKER_DEFAULT_SUBJECTS: str({
          choices: ["ALL", "NONE"],
          default: "ALL",
        }),
        REVOKER_SUBJECT_ISSUER: matching(
          /^$|\{tenant\}/,
          "an issuer template containing {tenant}, so tenants' agents never share an issuer",
        )({
          default: "",
          desc: "iss of a tenant's iss_sub subjects (empty: the issuer + /tenants/{tenant})",
        }),
        REVOKER_TENANT_SUBJECT_ISSUERS: makeTenantIssuers({
          default: {},
          desc: 'JSON {"<tenant>": "<issuer>"}: a tenant\'s own agent issuer',
        }),
        REVOKER_PUSH_TENANT: matching(
          /^\S+$/,
          'a tenant, or "*" for every tenant',
        )({ default: ALL_TENANTS }),
        REVOKER_PUSH_SUBJECT_FORMAT: str({
          choices: SUBJECT_FORMATS,
          default: SubjectFormat.auto,
        }),
        REVOKER_STEP_UP_EVENT: str({
          choices: Object.values(StepUpEvent),
          default: StepUpEvent.assuranceLevelChange,
        }),
        REVOKER_STEP_UP_NAMESPACE: matching(
          /^\S+$/,
          "an assurance namespace",
        )({ default: "NIST-AAL" }),
        REVOKER_STEP_UP_LEVEL: matching(
          /^\S+$/,
          "an assurance level",
        )({ default: "nist-aal1" }),
        REVOKER_CREDENTIAL_TYPE: matching(
          /^\S+$/,
          "a CAEP credential_type",
        )({ default: "app" }),
        REVOKER_RECEIVER_ALLOW_HTTP: bool({ default: false }),
        REVOKER_RECEIVER_ALLOWED_CIDRS: makeCidrs({ default: [] }),
        REVOKER_PUSH_TIMEOUT: durationMs({ default: DEFAULT_PUSH_TIMEOUT_MS }),
        REVOKER_PUSH_MAX_RESPONSE: sizeBytes({
          default: DEFAULT_PUSH_MAX_RESPONSE_BYTES,
        }),
        REVOKER_PUSH_CONCURRENCY: integer(1)({
          default: DEFAULT_PUSH_CONCURRENCY,
        }),
        REVOKER_RETRY_INITIAL: durationMs({
          default: DEFAULT_RETRY_INITIAL_MS,
        }),
        REVOKER_RETRY_MAX: durationMs({ default: DEFAULT_RETRY_MAX_MS }),
        REVOKER_DEAD_LETTER_AFTER: durationMs({
          default: DEFAULT_DEAD_LETTER_AFTER_MS,
        }),
        REVOKER_AUTO_PAUSE_AFTER: durationMs({
          default: DEFAULT_AUTO_PAUSE_AFTER_MS,
          desc: "pause a push stream after pushes failed this long (0 = never)",
        }),
        REVOKER_RISK_RECOVERY_AFTER: durationMs({
          default: DEFAULT_RISK_RECOVERY_AFTER_MS,
          desc: "report an agent back at LOW risk (risk-level-change) after an alert followed by no decision this long (0 = never)",
        }),
        REVOKER_STREAM_INACTIVITY_TIMEOUT: durationMs({
          default: DEFAULT_STREAM_INACTIVITY_TIMEOUT_MS,
          desc: "pause a stream whose receiver was inactive this long (0 = never)",
        }),
        REVOKER_QUEUE_MAX_AGE: durationMs({
          default: DEFAULT_QUEUE_MAX_AGE_MS,
          desc: "how long queued SETs are kept (at least 10m, the queue's duplicate window); dead letters are kept until taken",
        }),
        REVOKER_QUEUE_MAX_BYTES: sizeBytes({
          default: DEFAULT_QUEUE_MAX_BYTES,
          desc: "byte cap of the SET queue stream; a full queue refuses new SETs (the decision is retried, then dead-lettered)",
        }),
        REVOKER_QUEUE_MAX_PER_STREAM: integer(1)({
          default: DEFAULT_QUEUE_MAX_PER_STREAM,
          desc: "SETs one SSF stream may have queued (per kind: events, control)",
        }),
        REVOKER_MAX_STREAMS_PER_RECEIVER: integer(1)({
          default: DEFAULT_MAX_STREAMS_PER_RECEIVER,
          desc: "SSF streams one receiver may create",
        }),
        REVOKER_MAX_SUBJECTS_PER_STREAM: integer(1)({
          default: DEFAULT_MAX_SUBJECTS_PER_STREAM,
          desc: "subjects one stream may list (added plus removed)",
        }),
        REVOKER_DECISION_MAX_DELIVERIES: integer(1)({
          default: DEFAULT_DECISION_MAX_DELIVERIES,
          desc: "failed deliveries of one decision before it goes to the dead-letter stream",
        }),
        REVOKER_BREAKER_FAILURES: integer(1)({
          default: DEFAULT_BREAKER_FAILURES,
        }),
        REVOKER_BREAKER_OPEN: durationMs({ default: DEFAULT_BREAKER_OPEN_MS }),
        REVOKER_POLL_ACK_WAIT: durationMs({
          default: DEFAULT_POLL_ACK_WAIT_MS,
        }),
        REVOKER_POLL_WAIT: durationMs({ default: DEFAULT_POLL_WAIT_MS }),
        REVOKER_MIN_VERIFICATION_INTERVAL: durationMs({
          default: DEFAULT_MIN_VERIFICATION_INTERVAL_MS,
        }),
        REVOKER_APPROVAL_AGENTS: makePatterns({
          default: [],
          desc: "comma-separated <tenant>/<agent> patterns with *, e.g. acme/prod-*",
        }),
        REVOKER_APPROVAL_TIMEOUT: durationMs({
          default: DEFAULT_APPROVAL_TIMEOUT_MS,
        }),
        REVOKER_APPROVAL_DEFAULT: str({
          choices: Object.values(ApprovalDefault),
          default: ApprovalDefault.revoke,
        }),
        REVOKER_HOLD_ACTIONS: makeHoldClasses({
          default: HOLD_CLASSES,
          desc: "what a step-up holds at the gateways until the owner approves",
        }),
        REVOKER_HOLD_TIMEOUT: durationMs({
          default: DEFAULT_HOLD_TIMEOUT_MS,
          desc: "how long a step-up's owner has to approve before it escalates to revoke",
        }),
        REVOKER_CONSOLE: bool({
          default: true,
          desc: "serve the SOC console at /console/",
        }),
        REVOKER_CONSOLE_QUERY_API: matching(
          /^(https?:\/\/[^\s/]+(\/\S*)?)?$/u,
          "an http(s) URL, or empty",
        )({
          default: DEFAULT_CONSOLE_QUERY_API,
          desc: "the baseline query API as the console's users' browsers reach it",
        }),
        REVOKER_CASCADE: bool({ default: true }),
        REVOKER_CASCADE_WINDOW: durationMs({
          default: DEFAULT_CASCADE_WINDOW_MS,
        }),
        REVOKER_CASCADE_MAX_EDGES: integer(1)({
          default: DEFAULT_CASCADE_MAX_EDGES,
        }),
        REVOKER_CASCADE_MAX_EDGES_PER_TENANT: integer(1)({
          default: DEFAULT_CASCADE_MAX_EDGES_PER_TENANT,
        }),
        REVOKER_CASCADE_MAX_AGENTS: integer(0)({
          default: DEFAULT_CASCADE_MAX_AGENTS,
        }),
        REVOKER_PUSH_URL: matching(
          /^$|^https?:\/\/\S+$/,
          "an http(s) URL",
        )({
          default: "",
          desc: "push endpoint of a static stream (empty: streams only through the API)",
        }),
        REVOKER_PUSH_AUDIENCE: matching(
          /^$|^\S+$/,
          "an audience",
        )({ default: "" }),
        REVOKER_PUSH_AUTHORIZATION: str({ default: "" }),
        REVOKER_PUSH_EVENTS: makeEvents({
          default: [EventType.sessionRevoked],
        }),
      });
      return raw;
    },
  });
  const raw = groups.revoker;
  const staticUrl = raw.REVOKER_PUSH_URL;
  const problems: string[] = [];
  if (!raw.REVOKER_TLS_CERT_FILE !== !raw.REVOKER_TLS_KEY_FILE)
    problems.push(
      "REVOKER_TLS_CERT_FILE and REVOKER_TLS_KEY_FILE: give both or neither",
    );
  if (
    host === "service" &&
    raw.REVOKER_TLS_CERT_FILE &&
    !raw.REVOKER_ISSUER.startsWith("https:")
  )
    problems.push(
      "REVOKER_ISSUER: must be https when the API serves TLS (every metadata URL is built from it)",
    );
  if (raw.REVOKER_QUEUE_MAX_AGE < SET_QUEUE_DUPLICATE_WINDOW_MS)
    problems.push(
      `REVOKER_QUEUE_MAX_AGE: at least 10m (the SET queue's duplicate window), got ${raw.REVOKER_QUEUE_MAX_AGE} ms`,
    );
  if (problems.length > 0)
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  return Object.freeze({
    common: groups.common,
    nats: groups.nats,
    kafka: groups.kafka,
    issuer: raw.REVOKER_ISSUER,
    httpHost: raw.REVOKER_HTTP_HOST,
    httpPort: raw.REVOKER_HTTP_PORT,
    console: Object.freeze({
      enabled: raw.REVOKER_CONSOLE,
      queryApiUrl: raw.REVOKER_CONSOLE_QUERY_API,
    }),
    tls: raw.REVOKER_TLS_CERT_FILE
      ? Object.freeze({
          certFile: raw.REVOKER_TLS_CERT_FILE,
          keyFile: raw.REVOKER_TLS_KEY_FILE,
        })
      : undefined,
    oauth: raw.REVOKER_OAUTH_ISSUER
      ? Object.freeze({
          issuer: raw.REVOKER_OAUTH_ISSUER,
          audience: raw.REVOKER_OAUTH_AUDIENCE || undefined,
          jwksUri: raw.REVOKER_OAUTH_JWKS_URI || undefined,
        })
      : undefined,
    signing: Object.freeze({
      file: raw.REVOKER_SIGNING_KEY_FILE,
      alg: raw.REVOKER_SIGNING_ALG as SigningAlg,
      rotationMs: raw.REVOKER_KEY_ROTATION,
      overlapMs: raw.REVOKER_KEY_OVERLAP,
    }),
    receivers: raw.REVOKER_RECEIVERS,
    connectors: raw.REVOKER_CONNECTORS,
    defaultSubjects: raw.REVOKER_DEFAULT_SUBJECTS as DefaultSubjects,
    sets: Object.freeze({
      subjectIssuerTemplate: raw.REVOKER_SUBJECT_ISSUER || undefined,
      tenantSubjectIssuers: raw.REVOKER_TENANT_SUBJECT_ISSUERS,
      stepUpEvent: raw.REVOKER_STEP_UP_EVENT,
      stepUpNamespace: raw.REVOKER_STEP_UP_NAMESPACE,
      stepUpLevel: raw.REVOKER_STEP_UP_LEVEL,
      riskRecoveryAfterMs: raw.REVOKER_RISK_RECOVERY_AFTER,
      credentialType: raw.REVOKER_CREDENTIAL_TYPE,
    }),
    urlPolicy: Object.freeze({
      allowHttp: raw.REVOKER_RECEIVER_ALLOW_HTTP,
      allowedCidrs: raw.REVOKER_RECEIVER_ALLOWED_CIDRS,
    }),
    delivery: Object.freeze({
      timeoutMs: raw.REVOKER_PUSH_TIMEOUT,
      maxResponseBytes: raw.REVOKER_PUSH_MAX_RESPONSE,
      concurrency: raw.REVOKER_PUSH_CONCURRENCY,
      retryInitialMs: raw.REVOKER_RETRY_INITIAL,
      retryMaxMs: raw.REVOKER_RETRY_MAX,
      deadLetterAfterMs: raw.REVOKER_DEAD_LETTER_AFTER,
      autoPauseAfterMs: raw.REVOKER_AUTO_PAUSE_AFTER,
      inactivityTimeoutMs: raw.REVOKER_STREAM_INACTIVITY_TIMEOUT,
      queueMaxAgeMs: raw.REVOKER_QUEUE_MAX_AGE,
      queueMaxBytes: raw.REVOKER_QUEUE_MAX_BYTES,
      queueMaxPerStream: raw.REVOKER_QUEUE_MAX_PER_STREAM,
      decisionMaxDeliveries: raw.REVOKER_DECISION_MAX_DELIVERIES,
      maxStreamsPerReceiver: raw.REVOKER_MAX_STREAMS_PER_RECEIVER,
      maxSubjectsPerStream: raw.REVOKER_MAX_SUBJECTS_PER_STREAM,
      breakerFailures: raw.REVOKER_BREAKER_FAILURES,
      breakerOpenMs: raw.REVOKER_BREAKER_OPEN,
      pollAckWaitMs: raw.REVOKER_POLL_ACK_WAIT,
      pollWaitMs: raw.REVOKER_POLL_WAIT,
      minVerificationIntervalMs: raw.REVOKER_MIN_VERIFICATION_INTERVAL,
    }),
    approval: Object.freeze({
      patterns: raw.REVOKER_APPROVAL_AGENTS,
      timeoutMs: raw.REVOKER_APPROVAL_TIMEOUT,
      defaultVerdict: raw.REVOKER_APPROVAL_DEFAULT,
      holdActions: raw.REVOKER_HOLD_ACTIONS,
      holdTimeoutMs: raw.REVOKER_HOLD_TIMEOUT,
    }),
    cascade: Object.freeze({
      enabled: raw.REVOKER_CASCADE,
      windowMs: raw.REVOKER_CASCADE_WINDOW,
      maxEdges: raw.REVOKER_CASCADE_MAX_EDGES,
      maxEdgesPerTenant: raw.REVOKER_CASCADE_MAX_EDGES_PER_TENANT,
      maxAgents: raw.REVOKER_CASCADE_MAX_AGENTS,
    }),
    staticPush: staticUrl
      ? Object.freeze({
          url: staticUrl,
          audience: raw.REVOKER_PUSH_AUDIENCE || staticUrl,
          authorization: raw.REVOKER_PUSH_AUTHORIZATION || undefined,
          events: raw.REVOKER_PUSH_EVENTS,
          tenant: raw.REVOKER_PUSH_TENANT,
          subjectFormat: raw.REVOKER_PUSH_SUBJECT_FORMAT,
        })
      : undefined,
  });
}
