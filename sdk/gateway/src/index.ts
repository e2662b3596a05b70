// The public surface of @warden/gateway-sdk: every export is named here.
export {
  checkAuditEvent,
  AUDIT_EVENT_SCHEMA,
  type AuditEventV1,
  type ActionVerb,
  type CredentialType,
  type Outcome,
  type Sensitivity,
} from "./audit-event.js";
export {
  actorChainFromClaims,
  MAX_DELEGATION_DEPTH,
  type ActorChain,
} from "./actor-chain.js";
export {
  createEventBuilder,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  type BuildContext,
  type EventBuilder,
  type EventBuilderOptions,
  type EventInput,
} from "./event-builder.js";
export {
  GatewaySdkError,
  InvalidEventError,
  GatewayConfigError,
  DeliveryError,
  ShipRefusedError,
  type FieldProblem,
} from "./errors.js";
export { describeError } from "@warden/shared/errors";
export { createShipper, type Shipper, type ShipperOptions } from "./shipper.js";
export {
  compileShipperLimits,
  DEFAULT_MAX_QUEUE_EVENTS,
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_LINGER_MS,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_ENQUEUE_TIMEOUT_MS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_STOP_GRACE_MS,
  type ShipperLimits,
} from "./shipper-options.js";
export {
  createKafkaSink,
  createHttpSink,
  DEFAULT_KAFKA_CONNECTION_TIMEOUT_MS,
  type Sink,
  type SinkResult,
  type OutboundEvent,
  type KafkaSinkOptions,
  type HttpSinkOptions,
} from "./sinks.js";
export {
  createKillSwitchVerifier,
  KILL_SWITCH_ALGORITHMS,
  type KillSwitchKeys,
  type KillSwitchVerifier,
} from "./kill-switch-verifier.js";
export {
  openSpool,
  DEFAULT_SPOOL_MAX_BYTES,
  DEFAULT_SPOOL_SEGMENT_BYTES,
  type Spool,
  type SpoolOptions,
  type SpooledSegment,
} from "./spool.js";
export {
  HOLD_CLASSES,
  holdClassesOf,
  type CallDescription,
  type HoldClass,
  type KillSwitchHold,
} from "@warden/shared/kill-switch";
export {
  createEnforcer,
  DEFAULT_TENANT,
  DEFAULT_RESYNC_INTERVAL_MS,
  type Enforcer,
  type EnforcerOptions,
} from "./enforcer.js";
export {
  createRevocationSet,
  rebuildRevocationSet,
  type Revocation,
  type RevocationSet,
  type Verdict,
} from "./revocations.js";
export {
  loadGatewayConfig,
  EnvReader,
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_NATS_URL,
  DEFAULT_SPOOL_DIR,
  type GatewayConfig,
  type LogLevel,
} from "./config.js";
export {
  createSsfPushReceiver,
  SET_CONTENT_TYPE,
  type SsfPushReceiver,
  type SsfPushReceiverOptions,
  type SsfPushRequest,
  type SsfPushAnswer,
} from "./ssf-receiver.js";
export {
  killSwitchFromSet,
  subjectOf,
  wardenTenantOfIssuer,
  SSF_EVENT,
  type SetOutcome,
  type TenantOfIssuer,
} from "./ssf-events.js";
export { createWardenGateway, type WardenGateway } from "./warden-gateway.js";
