import { subjectToken } from "@warden/shared";

/**
 * Names only the revoker uses, derived from WARDEN_NAMESPACE exactly as shared/src/names.ts
 * derives the others (candidates to move there).
 */
export interface RevokerNames {
  /** NATS KV bucket of SSF stream configurations. */
  readonly streamsBucket: string;
  /** JetStream stream holding every SSF stream's queue of signed SETs. */
  readonly setsStream: string;
  readonly setsSubjects: string;
  /** Agent events of one SSF stream (purged when the stream is disabled). */
  eventsSubject(streamId: string): string;
  /** SSF control events (verification, stream-updated) of one SSF stream: sent in every status. */
  controlSubject(streamId: string): string;
  /** SETs that could not be delivered, kept for a person to replay. */
  deadSubject(streamId: string): string;
  consumer(kind: "events" | "control" | "connector", streamId: string): string;
  /** Jobs of one connector (RFC 7009, SCIM, webhook). */
  connectorSubject(connectorId: string): string;
  /** Prefix of the delegation feed's Kafka group (one group per instance: it reads every partition). */
  readonly delegationGroupPrefix: string;
}

export function createRevokerNames(namespace = ""): RevokerNames {
  const dotted = namespace ? `${namespace}.` : "";
  const dashed = namespace ? `${namespace}-` : "";
  const upper = namespace
    ? `${namespace.toUpperCase().replaceAll("-", "_")}_`
    : "";
  return Object.freeze({
    streamsBucket: `${dashed}warden-ssf-streams`,
    setsStream: `${upper}WARDEN_SETS`,
    setsSubjects: `${dotted}warden.sets.>`,
    eventsSubject: (id: string) =>
      `${dotted}warden.sets.events.${subjectToken(id)}`,
    controlSubject: (id: string) =>
      `${dotted}warden.sets.control.${subjectToken(id)}`,
    deadSubject: (id: string) =>
      `${dotted}warden.sets.dead.${subjectToken(id)}`,
    // Stream ids are checked to be [A-Za-z0-9_-] (consumer names allow no `.`, `*`, `>`).
    connectorSubject: (id: string) =>
      `${dotted}warden.sets.connector.${subjectToken(id)}`,
    consumer: (kind: "events" | "control" | "connector", id: string) =>
      `${dashed}ssf-${kind}-${id}`,
    delegationGroupPrefix: `${dashed}warden-revoker-delegation`,
  });
}

export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
