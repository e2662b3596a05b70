export type { SetClaims, SetTarget, SetOptions } from "./core/set.js";
export { buildActionSets, buildStreamSet, setJti } from "./core/set.js";
export { EventType } from "./core/event-types.js";
export { createRevokerMetrics } from "./metrics.js";
export type { AgentAction } from "./core/action.js";
export { actionFromDecision } from "./core/action.js";
export type { PublicJwks, SigningAlg, SigningKeys } from "./signing-key.js";
export { SET_TYPE, openSigningKeys } from "./signing-key.js";
export type { PushAgents, PushPolicy } from "./adapters/push.js";
export { PushError, createPushAgents, pushSet } from "./adapters/push.js";
export { AGENT_EVENT_TYPES, shortEventName } from "./core/event-types.js";
export type { OcsfFinding } from "./core/ocsf-finding.js";
export {
  DETECTOR_TECHNIQUES,
  OCSF_PROFILES,
  OCSF_VERSION,
  decisionFinding,
  revocationFinding,
} from "./core/ocsf-finding.js";
export type { AuditRecord } from "./core/audit.js";
export { AuditStep, auditRecord } from "./core/audit.js";
export type { FindingSinkConfig } from "./core/finding-sinks.js";
export {
  DEFAULT_HEC_SOURCETYPE,
  FindingSinkType,
  hecRequest,
  parseFindingSinks,
} from "./core/finding-sinks.js";
export type {
  FindingDeadLetter,
  FindingSinkPolicy,
  FindingSinks,
} from "./adapters/finding-sinks.js";
export {
  DEFAULT_FINDING_SINK_ATTEMPTS,
  createFindingSinks,
} from "./adapters/finding-sinks.js";
export type { ServerTls } from "./tls.js";
export { createApiServer, readServerTls } from "./tls.js";
export type { LocalRevoker, LocalRevokerCounts } from "./local-revoker.js";
export { startLocalRevoker } from "./local-revoker.js";
export type { RevokerConfig } from "./config.js";
export { loadRevokerConfig } from "./config.js";
