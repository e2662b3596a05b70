/** Event type URIs Warden sends (CAEP 1.0, RISC 1.0, SSF 1.0). */
const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const RISC = "https://schemas.openid.net/secevent/risc/event-type";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type";

export const EventType = {
  sessionRevoked: `${CAEP}/session-revoked`,
  credentialChange: `${CAEP}/credential-change`,
  assuranceLevelChange: `${CAEP}/assurance-level-change`,
  tokenClaimsChange: `${CAEP}/token-claims-change`,
  riskLevelChange: `${CAEP}/risk-level-change`,
  credentialCompromise: `${RISC}/credential-compromise`,
  accountDisabled: `${RISC}/account-disabled`,
  accountEnabled: `${RISC}/account-enabled`,
  verification: `${SSF}/verification`,
  streamUpdated: `${SSF}/stream-updated`,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Events about agents, which a receiver chooses with `events_requested`. */
export const AGENT_EVENT_TYPES: readonly EventType[] = [
  EventType.sessionRevoked,
  EventType.credentialChange,
  EventType.accountDisabled,
  EventType.accountEnabled,
  EventType.assuranceLevelChange,
  EventType.tokenClaimsChange,
  EventType.riskLevelChange,
  EventType.credentialCompromise,
];

/** The last path segment of an event type URI: what people type and tables show. */
export function shortEventName(uri: string): string {
  return uri.slice(uri.lastIndexOf("/") + 1);
}

/** SSF's own events: always delivered, whatever the stream requested (SSF 1.0 §8.1.4, §8.1.5). */
export const CONTROL_EVENT_TYPES: readonly EventType[] = [
  EventType.verification,
  EventType.streamUpdated,
];

/** What `events_supported` lists. */
export const SUPPORTED_EVENT_TYPES: readonly EventType[] = [
  ...AGENT_EVENT_TYPES,
  ...CONTROL_EVENT_TYPES,
];

export function isControlEvent(type: string): boolean {
  return (CONTROL_EVENT_TYPES as readonly string[]).includes(type);
}

/** Which CAEP event a `step_up` decision becomes (configurable, REVOKER_STEP_UP_EVENT). */
export const StepUpEvent = {
  assuranceLevelChange: "assurance-level-change",
  tokenClaimsChange: "token-claims-change",
} as const;
export type StepUpEvent = (typeof StepUpEvent)[keyof typeof StepUpEvent];
