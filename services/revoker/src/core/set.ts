import { createHash } from "node:crypto";
import { credentialLabel } from "@warden/shared";
import { ActionKind, type AgentAction } from "./action.js";
import { EventType, StepUpEvent } from "./event-types.js";
import {
  ALL_TENANTS,
  eventsDelivered,
  type Compatibility,
  type StreamRecord,
} from "./stream.js";
import {
  agentSubject,
  eventSubjectMembers,
  type Subject,
  type SubjectFormat,
  type SubjectIssuer,
} from "./subject.js";

/** The claims of one Security Event Token (RFC 8417, SSF 1.0 §4): never `sub`, never `exp`. */
export interface SetClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly jti: string;
  readonly txn?: string;
  readonly toe?: number;
  readonly sub_id: Subject;
  /** Exactly one event (SSF 1.0 §4.1.8). */
  readonly events: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Who one SET is for: a stream and what it asked for. */
export interface SetTarget {
  readonly streamId: string;
  readonly audience: string;
  readonly eventsDelivered: readonly string[];
  readonly subjectFormat: SubjectFormat;
  /** The stream belongs to one tenant (subjects that do not carry the tenant are unambiguous). */
  readonly singleTenant: boolean;
  readonly compatibility?: Compatibility | undefined;
}

/** What one stream's SETs are built for. */
export function streamSetTarget(record: StreamRecord): SetTarget {
  return {
    streamId: record.stream_id,
    audience: record.aud,
    eventsDelivered: eventsDelivered(record),
    subjectFormat: record.subject_format,
    singleTenant: record.tenant !== undefined && record.tenant !== ALL_TENANTS,
    compatibility: record.compatibility,
  };
}

export interface SetOptions {
  readonly issuer: string;
  /** `iss` of a tenant's iss_sub subjects: the namespace its agent ids are unique in. */
  readonly subjectIssuer: SubjectIssuer;
  readonly nowSeconds: number;
  readonly stepUpEvent: StepUpEvent;
  /** CAEP assurance-level-change `namespace` and `current_level` for step_up. */
  readonly stepUpNamespace: string;
  readonly stepUpLevel: string;
  /** CAEP credential-change `credential_type` of agent credentials. */
  readonly credentialType: string;
}

/**
 * Deterministic per (cause, stream, event type, discriminators — the agent, a credential), so a redelivered decision or
 * a retried push resends the same jti and receivers can de-duplicate (RFC 8417 §2.2).
 */
export function setJti(
  causeId: string,
  streamId: string,
  eventType: string,
  ...discriminators: readonly string[]
): string {
  return (
    createHash("sha256")
      // JSON, not a separator: ids may hold any character, and ("a\0b","c") must not equal ("a","b\0c").
      .update(JSON.stringify([causeId, streamId, eventType, ...discriminators]))
      .digest("hex")
      .slice(0, 32)
  );
}

interface EventDraft {
  readonly type: EventType;
  readonly discriminator: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

function reasons(action: AgentAction): Record<string, unknown> {
  return {
    event_timestamp: action.eventTimeSeconds,
    initiating_entity: action.initiatingEntity,
    reason_admin: { en: action.reasonAdmin },
    reason_user: { en: action.reasonUser },
  };
}

/** CAEP risk-level-change: the agent is the principal whose risk changed. */
function riskLevelEvent(action: AgentAction): EventDraft {
  return {
    type: EventType.riskLevelChange,
    discriminator: "",
    payload: {
      principal: "USER",
      current_level: action.riskLevel,
      ...(action.previousRiskLevel === undefined
        ? {}
        : { previous_level: action.previousRiskLevel }),
      risk_reason: action.reasonAdmin,
      event_timestamp: action.eventTimeSeconds,
      initiating_entity: action.initiatingEntity,
    },
  };
}

/** RISC credential-compromise (one per action: RISC names the subject, not which credential). */
function credentialCompromiseEvents(
  action: AgentAction,
  credentialType: string,
): EventDraft[] {
  if (!action.credentialCompromised) return [];
  return [
    {
      type: EventType.credentialCompromise,
      discriminator: "",
      payload: {
        credential_type: credentialType,
        event_timestamp: action.eventTimeSeconds,
        reason_admin: { en: action.reasonAdmin },
        reason_user: { en: action.reasonUser },
      },
    },
  ];
}

/** The events an action causes, before the stream's choice is applied. */
export function actionEvents(
  action: AgentAction,
  options: Pick<
    SetOptions,
    "stepUpEvent" | "stepUpNamespace" | "stepUpLevel" | "credentialType"
  >,
): readonly EventDraft[] {
  switch (action.kind) {
    case ActionKind.revoke:
      return [
        {
          type: EventType.sessionRevoked,
          discriminator: "",
          payload: reasons(action),
        },
        ...action.credentialIds.map((credentialId) => ({
          type: EventType.credentialChange,
          discriminator: credentialId,
          payload: {
            credential_type: options.credentialType,
            change_type: "revoke",
            friendly_name: credentialLabel(credentialId),
            ...reasons(action),
          },
        })),
        ...credentialCompromiseEvents(action, options.credentialType),
        { type: EventType.accountDisabled, discriminator: "", payload: {} },
        riskLevelEvent(action),
      ];
    case ActionKind.stepUp:
      return [
        options.stepUpEvent === StepUpEvent.assuranceLevelChange
          ? {
              type: EventType.assuranceLevelChange,
              discriminator: "",
              payload: {
                namespace: options.stepUpNamespace,
                current_level: options.stepUpLevel,
                change_direction: "decrease",
                ...reasons(action),
              },
            }
          : {
              type: EventType.tokenClaimsChange,
              discriminator: "",
              payload: {
                claims: {
                  warden_step_up_required: true,
                  ...(action.risk === undefined
                    ? {}
                    : { warden_risk: action.risk }),
                },
                ...reasons(action),
              },
            },
        ...credentialCompromiseEvents(action, options.credentialType),
        riskLevelEvent(action),
      ];
    case ActionKind.release:
      // The level the agent had before the step-up is not Warden's to know, so an assurance
      // receiver hears the recovery as risk-level-change LOW; a claims receiver gets the claim cleared.
      return [
        ...(options.stepUpEvent === StepUpEvent.tokenClaimsChange
          ? [
              {
                type: EventType.tokenClaimsChange,
                discriminator: "",
                payload: {
                  claims: { warden_step_up_required: false },
                  ...reasons(action),
                },
              },
            ]
          : []),
        riskLevelEvent(action),
      ];
    case ActionKind.reinstate:
      return [
        { type: EventType.accountEnabled, discriminator: "", payload: {} },
        riskLevelEvent(action),
      ];
    case ActionKind.alert:
      return [riskLevelEvent(action)];
  }
}

/** The SETs one action sends to one stream: only the event types the stream gets. Pure. */
export function buildActionSets(
  action: AgentAction,
  target: SetTarget,
  options: SetOptions,
): SetClaims[] {
  const subject = agentSubject(
    { tenant: action.tenant, agentId: action.agentId },
    target.subjectFormat,
    options.subjectIssuer,
    target.singleTenant,
  );
  // Okta's risk-events format reads the subject from inside each event; sub_id stays (SSF 1.0 §4.1.2).
  const inEvent =
    target.compatibility === "okta"
      ? { subject: eventSubjectMembers(subject) }
      : {};
  return actionEvents(action, options)
    .filter((event) => target.eventsDelivered.includes(event.type))
    .map((event) => ({
      iss: options.issuer,
      aud: target.audience,
      iat: Math.floor(options.nowSeconds),
      // The agent is part of it: a cascade sends the same event types about several agents under one txn.
      // So is the kind, but for a revoke (whose jtis predate it): a step-up, its release and the revoke it
      // escalates to share the txn and the risk-level-change event, and none may be taken for another.
      jti: setJti(
        action.id,
        target.streamId,
        event.type,
        action.agentId,
        event.discriminator,
        ...(action.kind === "revoke" ? [] : [action.kind]),
      ),
      txn: action.id,
      toe: action.eventTimeSeconds,
      sub_id: subject,
      events: { [event.type]: { ...inEvent, ...event.payload } },
    }));
}

/**
 * An SSF control event about the stream itself (verification, stream-updated), whose
 * subject is the stream (SSF 1.0 §8.1.4.1). `causeId` makes the jti unique per request.
 */
export function buildStreamSet(
  type: typeof EventType.verification | typeof EventType.streamUpdated,
  payload: Readonly<Record<string, unknown>>,
  target: Pick<SetTarget, "streamId" | "audience">,
  options: {
    readonly issuer: string;
    readonly nowSeconds: number;
    readonly causeId: string;
  },
): SetClaims {
  return {
    iss: options.issuer,
    aud: target.audience,
    iat: Math.floor(options.nowSeconds),
    jti: setJti(options.causeId, target.streamId, type),
    // SSF 1.0 §4.1.9: control events are transactions of their own (the request or status change).
    txn: options.causeId,
    sub_id: { format: "opaque", id: target.streamId },
    events: { [type]: payload },
  };
}
