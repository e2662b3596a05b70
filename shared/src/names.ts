/**
 * Every Kafka topic, consumer group, JetStream stream, subject and KV bucket that
 * Warden uses, in one place. A namespace (WARDEN_NAMESPACE) prefixes all of them so
 * tests, and several Warden deployments on one cluster, never see each other.
 *
 * No runtime dependencies: the gateway SDK imports it alone (`@warden/shared/names`).
 */

export const TOPIC_PARTITIONS = {
  audit: 6,
  auditDlq: 1,
  events: 6,
  decisions: 3,
  revocations: 3,
  findings: 3,
} as const;

/** Names only the revoker uses (SSF streams, SET queues, approvals, connectors). */
export interface RevokerNames {
  /** NATS KV bucket of SSF stream configurations. */
  readonly streamsBucket: string;
  /** NATS KV bucket of revocations waiting for human approval. */
  readonly approvalsBucket: string;
  /** NATS KV bucket of the last CAEP risk level reported per agent (`previous_level`, recovery). */
  readonly riskLevelsBucket: string;
  /** JetStream stream holding every SSF stream's queue of signed SETs (and connector jobs). */
  readonly setsStream: string;
  /** Its subjects: events, control and connector queues (not the dead letters). */
  readonly setsSubjects: readonly string[];
  /**
   * JetStream stream of the SETs and connector jobs that could not be delivered: no max_age
   * (REVOKER_QUEUE_MAX_AGE ages the queue, never a dead letter), kept for a person to take.
   */
  readonly deadSetsStream: string;
  readonly deadSetSubjects: string;
  /** Agent events of one SSF stream (purged when the stream is disabled). */
  eventsSubject(streamId: string): string;
  /** SSF control events (verification, stream-updated) of one SSF stream: sent in every status. */
  controlSubject(streamId: string): string;
  /** SETs that could not be delivered, kept for a person to replay. */
  deadSubject(streamId: string): string;
  /** Durable consumer names; stream ids are [A-Za-z0-9_-] (consumer names allow no `.`, `*`, `>`). */
  consumer(kind: "events" | "control" | "connector", streamId: string): string;
  /** Jobs of one connector (RFC 7009, SCIM, webhook). */
  connectorSubject(connectorId: string): string;
  /** Prefix of the delegation feed's Kafka group (one group per instance: it reads every partition). */
  readonly delegationGroupPrefix: string;
  /** JetStream stream of decisions the revoker gave up on (kept until an operator re-drives them). */
  readonly deadDecisionsStream: string;
  /** `warden.decisions-dead.<reason>`: `exhausted` (every delivery failed) or `invalid`. */
  deadDecisionSubject(reason: string): string;
  readonly deadDecisionSubjects: string;
}

export interface WardenNames {
  readonly topics: {
    readonly audit: string;
    readonly auditDlq: string;
    readonly events: string;
    readonly decisions: string;
    readonly revocations: string;
    /** OCSF Detection Findings (class 2004) of the revoker's decisions and revocation outcomes. */
    readonly findings: string;
  };
  readonly groups: {
    readonly ingest: string;
    readonly baseline: string;
    readonly detector: string;
  };
  readonly decisionsStream: string;
  readonly decisionsConsumer: string;
  readonly baselinesBucket: string;
  /** KV of the credential facts detector instances share (uses and revocations; issue 20). */
  readonly credentialsBucket: string;
  /** KV of currently revoked agents, `revokedAgentKey` → kill-switch message (see kill-switch.ts). */
  readonly revokedAgentsBucket: string;
  /** `warden.decisions.<tenant>.<agent>` for one agent. */
  decisionSubject(tenant: string, agentId: string): string;
  /** Matches the decisions of every agent. */
  readonly decisionSubjects: string;
  /** `warden.killswitch.<tenant>.<agent>` for one agent. */
  killSwitchSubject(tenant: string, agentId: string): string;
  readonly killSwitchSubjects: string;
  readonly revoker: RevokerNames;
}

export function createNames(namespace = ""): WardenNames {
  const dotted = namespace ? `${namespace}.` : "";
  const dashed = namespace ? `${namespace}-` : "";
  const upper = namespace
    ? `${namespace.toUpperCase().replaceAll("-", "_")}_`
    : "";
  return Object.freeze({
    topics: Object.freeze({
      audit: `${dotted}agent.audit.v1`,
      auditDlq: `${dotted}agent.audit.dlq`,
      events: `${dotted}agent.events.v1`,
      decisions: `${dotted}agent.decisions.v1`,
      revocations: `${dotted}warden.revocations.v1`,
      findings: `${dotted}warden.findings.v1`,
    }),
    groups: Object.freeze({
      ingest: `${dashed}warden-ingest`,
      baseline: `${dashed}warden-baseline`,
      detector: `${dashed}warden-detector`,
    }),
    decisionsStream: `${upper}WARDEN_DECISIONS`,
    decisionsConsumer: `${dashed}warden-revoker`,
    baselinesBucket: `${dashed}warden-baselines`,
    credentialsBucket: `${dashed}warden-credentials`,
    revokedAgentsBucket: `${dashed}warden-revoked`,
    decisionSubject: (tenant: string, agentId: string) =>
      `${dotted}warden.decisions.${subjectToken(tenant)}.${subjectToken(agentId)}`,
    decisionSubjects: `${dotted}warden.decisions.>`,
    killSwitchSubject: (tenant: string, agentId: string) =>
      `${dotted}warden.killswitch.${subjectToken(tenant)}.${subjectToken(agentId)}`,
    killSwitchSubjects: `${dotted}warden.killswitch.>`,
    revoker: Object.freeze({
      streamsBucket: `${dashed}warden-ssf-streams`,
      approvalsBucket: `${dashed}warden-approvals`,
      riskLevelsBucket: `${dashed}warden-risk-levels`,
      setsStream: `${upper}WARDEN_SETS`,
      setsSubjects: Object.freeze([
        `${dotted}warden.sets.events.>`,
        `${dotted}warden.sets.control.>`,
        `${dotted}warden.sets.connector.>`,
      ]),
      deadSetsStream: `${upper}WARDEN_SETS_DEAD`,
      deadSetSubjects: `${dotted}warden.sets.dead.>`,
      eventsSubject: (id: string) =>
        `${dotted}warden.sets.events.${subjectToken(id)}`,
      controlSubject: (id: string) =>
        `${dotted}warden.sets.control.${subjectToken(id)}`,
      deadSubject: (id: string) =>
        `${dotted}warden.sets.dead.${subjectToken(id)}`,
      connectorSubject: (id: string) =>
        `${dotted}warden.sets.connector.${subjectToken(id)}`,
      consumer: (kind: "events" | "control" | "connector", id: string) =>
        `${dashed}ssf-${kind}-${id}`,
      delegationGroupPrefix: `${dashed}warden-revoker-delegation`,
      deadDecisionsStream: `${upper}WARDEN_DECISIONS_DEAD`,
      deadDecisionSubject: (reason: string) =>
        `${dotted}warden.decisions-dead.${subjectToken(reason)}`,
      deadDecisionSubjects: `${dotted}warden.decisions-dead.>`,
    }),
  });
}

// NATS subject tokens may not hold `.`, `*`, `>` or whitespace; agent ids may. Percent-
// encoding keeps ids readable in subjects and reversible, and `%` itself is escaped.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const SUBJECT_UNSAFE = /[.*>%\s\u0000-\u001f\u007f]/gu;

// A lone `%` is never produced by the escaping (every `%` there has two hex digits), so it
// can stand for the empty string, which is not a valid subject token.
const EMPTY_TOKEN = "%";

export function subjectToken(value: string): string {
  if (value === "") return EMPTY_TOKEN;
  return value.replace(SUBJECT_UNSAFE, (char) =>
    [...Buffer.from(char, "utf8")]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
      .join(""),
  );
}

export function fromSubjectToken(token: string): string {
  if (token === EMPTY_TOKEN) return "";
  return decodeURIComponent(token);
}

// NATS KV keys allow only `A-Z a-z 0-9 _ - / = .`, so subject tokens (`%XX`) cannot be keys:
// a key token escapes every other byte of its UTF-8 form as `=XX` (upper-case hex), `=`
// included. A lone `=` stands for the empty string; escaping never produces it.
const KV_SAFE = /^[A-Za-z0-9_-]$/u;
const EMPTY_KEY_TOKEN = "=";
const ESCAPED = /=([0-9A-F]{2})/gu;

export function kvKeyToken(value: string): string {
  if (value === "") return EMPTY_KEY_TOKEN;
  let token = "";
  for (const char of value) {
    if (KV_SAFE.test(char)) {
      token += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8"))
      token += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return token;
}

export function fromKvKeyToken(token: string): string {
  if (token === EMPTY_KEY_TOKEN) return "";
  const bytes: number[] = [];
  let last = 0;
  for (const match of token.matchAll(ESCAPED)) {
    bytes.push(...Buffer.from(token.slice(last, match.index), "utf8"));
    bytes.push(parseInt(match[1] ?? "0", 16));
    last = match.index + match[0].length;
  }
  bytes.push(...Buffer.from(token.slice(last), "utf8"));
  return Buffer.from(bytes).toString("utf8");
}

/** Key of one agent in the revoked-agents bucket: `<tenant>.<agent>`, each a KV key token. */
export function revokedAgentKey(tenant: string, agentId: string): string {
  return `${kvKeyToken(tenant)}.${kvKeyToken(agentId)}`;
}
