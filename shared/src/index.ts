// The public surface of @warden/shared: every export is named here.
export type { AuditEventV1, DecisionV1 } from "./contracts/generated.js";
export type { CanonicalEvent } from "./contracts/canonical-event.js";
export { parseCanonicalEvent } from "./contracts/parse-canonical-event.js";
export {
  CANONICAL_EVENT_SCHEMA_ID,
  DEFAULT_TENANT,
} from "./contracts/canonical-event.js";
export type { SchemaProblem, Validation } from "./contracts/validate.js";
export {
  AUDIT_EVENT_SCHEMA_ID,
  DECISION_SCHEMA_ID,
  readContractSchema,
  validateAuditEvent,
  validateDecision,
} from "./contracts/validate.js";
export type {
  ClickHouseConfig,
  CommonConfig,
  KafkaConfig,
  LogLevel,
  NatsConfig,
} from "./config.js";
export {
  DEFAULT_CHDB_PATH,
  DEFAULT_CLICKHOUSE_DATABASE,
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_NATS_URL,
  DEFAULT_SHUTDOWN_DEADLINE_MS,
  LOG_LEVELS,
  durationMs,
  flag,
  integer,
  list,
  makeValidator,
  origins,
  matching,
  portNumber,
  readAll,
  readClickHouseConfig,
  readCommonConfig,
  readEnv,
  readKafkaConfig,
  readNatsConfig,
  sizeBytes,
} from "./config.js";
export {
  ConfigError,
  DependencyError,
  WardenError,
  describeError,
  isRetriable,
} from "./errors.js";
export type { RetryOptions } from "./retry.js";
export {
  DEFAULT_RETRY_ATTEMPTS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  backoffDelayMs,
  retry,
  sleep,
} from "./retry.js";
export type { Logger, LoggerOptions } from "./logger.js";
export { REDACTED_PATHS, createLogger } from "./logger.js";
export {
  Counter,
  Gauge,
  Histogram,
  Registry,
  Summary,
  createRegistry,
} from "./metrics.js";
export type { OpsServer, ReadinessCheck } from "./ops-server.js";
export { PortInUseError, listenOn, startOpsServer } from "./ops-server.js";
export type { Shutdown } from "./shutdown.js";
export { createShutdown } from "./shutdown.js";
export type { RevokerNames, WardenNames } from "./names.js";
export {
  TOPIC_PARTITIONS,
  createNames,
  fromKvKeyToken,
  fromSubjectToken,
  kvKeyToken,
  revokedAgentKey,
  subjectToken,
} from "./names.js";
export {
  connectAdmin,
  consumerReadiness,
  stopOnFatalCrash,
  createKafka,
  ensureTopics,
  kafkaUnreachable,
} from "./clients/kafka.js";
export {
  DEFAULT_DECISIONS_MAX_AGE_MS,
  connectNats,
  ensureDecisionsStream,
  openBaselinesBucket,
  openCredentialsBucket,
} from "./clients/nats.js";
export {
  AUDIT_RECORD_HEADER,
  auditRecordSignature,
  auditRecordSigningKey,
} from "./audit-signature.js";
export { createClickHouse } from "./clients/clickhouse.js";
export { runService } from "./run-service.js";
export type {
  CallDescription,
  HoldClass,
  KillSwitchAction,
  KillSwitchHold,
  KillSwitchMessage,
  KillSwitchParse,
} from "./kill-switch.js";
export {
  HOLD_CLASSES,
  holdClassesOf,
  KILL_SWITCH_JWS_TYPE,
  KILL_SWITCH_VERSION,
  encodeKillSwitchMessage,
  killSwitchSignature,
  parseKillSwitchMessage,
} from "./kill-switch.js";
export type {
  BaselineDecode,
  BaselineHistory,
  BaselineLevel,
  BaselineModel,
  BaselineScope,
  IdleGaps,
  RobustStats,
  Vocabulary,
  VocabularyDimension,
} from "./baseline-model/index.js";
export {
  ALL_HOURS_OF_DAY,
  BASELINE_FORMAT_VERSION,
  EMPTY_STATS,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
  agentBaselineKey,
  baselineKey,
  decodeBaseline,
  encodeBaseline,
  peerBaselineKey,
  tenantBaselineKey,
} from "./baseline-model/index.js";
export { credentialLabel, isCredentialLabel } from "./credential-label.js";
