export type {
  AcceptOptions,
  Accepted,
  Binding,
  BuiltEvent,
  IngestMessage,
  Rejected,
  Rejection,
} from "./core/accept.js";
export {
  DEFAULT_LATE_AFTER_MS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  OPEN_BINDING,
  REJECTION,
  SUPPORTED_SCHEMA,
  acceptAuditMessage,
  messageBytes,
} from "./core/accept.js";
export type { Outcome } from "./core/classify.js";
export { acceptedKeys, classifyBatch } from "./core/classify.js";
export type {
  ForwardedEvent,
  IngestPorts,
  RejectedMessage,
} from "./core/stage.js";
export { ingestBatch } from "./core/stage.js";
export type { Deduplicator } from "./core/dedup.js";
export {
  DEFAULT_DEDUP_MAX_ENTRIES,
  DEFAULT_DEDUP_WINDOW_MS,
  createDeduplicator,
  dedupKey,
} from "./core/dedup.js";
export type { DeadLetterOrigin } from "./core/dead-letter.js";
export {
  DEAD_LETTER_HEADER,
  FORMAT_HEADER,
  ORIGIN_HEADER,
  deadLetterHeaders,
  httpDeadLetterHeaders,
} from "./core/dead-letter.js";
export type { GatewayCredential } from "./core/gateway-tokens.js";
export {
  GATEWAY_TOKENS_FORMAT,
  authenticateBearer,
  hashToken,
  parseGatewayTokens,
} from "./core/gateway-tokens.js";
export type {
  HttpIngestLimits,
  IngestGuardOptions,
  IngestSink,
  LineResult,
} from "./adapters/http-ingest.js";
export {
  DEFAULT_HTTP_MAX_BODY_BYTES,
  DEFAULT_HTTP_MAX_IN_FLIGHT_BYTES,
  DEFAULT_HTTP_MAX_LINES,
  DEFAULT_HTTP_RATE_LIMIT,
  DEFAULT_HTTP_RATE_WINDOW_MS,
  guardIngestScope,
  registerHttpIngest,
  requestBinding,
} from "./adapters/http-ingest.js";
export type { IngestMetrics, IngestSource } from "./metrics.js";
export { createIngestMetrics } from "./metrics.js";
export type { IngestConfig } from "./config.js";
export { isLoopback, loadIngestConfig } from "./config.js";
export { DEFAULT_MAX_REQUEST_BYTES, chunkBySize } from "./core/chunk.js";
export type {
  DecodedDocument,
  DocumentMapper,
  MapOutcome,
  MappedFormat,
  MappedRecord,
  SkipKind,
} from "./core/mappers/mapper.js";
export { MAPPED_FORMAT, SKIP_KIND } from "./core/mappers/mapper.js";
export type { CloudTrailMapper } from "./core/mappers/cloudtrail.js";
export {
  CLOUDTRAIL_SPEC,
  DEFAULT_CLOUDTRAIL_SESSIONS,
  cloudTrailDocumentMapper,
  createCloudTrailMapper,
  isCloudTrailDigest,
} from "./core/mappers/cloudtrail.js";
export type { CloudTrailAction } from "./core/mappers/cloudtrail-actions.js";
export {
  CONTROL_PLANE_SERVICES,
  cloudTrailAction,
  cloudTrailActionName,
} from "./core/mappers/cloudtrail-actions.js";
export type {
  DeadLetterSink,
  MappedDeadLetter,
  MappedReply,
  MappedRoute,
  RecordResult,
} from "./adapters/http-mapped.js";
export {
  ingestMapped,
  registerMappedIngest,
  wardenRefusal,
  wardenReply,
} from "./adapters/http-mapped.js";
export { MAPPED_PATH, createMappedRoutes } from "./adapters/mapped-routes.js";
export type { OtlpMappingConfig } from "./core/mappers/otlp-genai.js";
export {
  DEFAULT_OTLP_MAPPING,
  GENAI_SEMCONV,
  mapSpan,
  otlpDocumentMapper,
  parseSensitivityRules,
} from "./core/mappers/otlp-genai.js";
export type { OtlpSpan } from "./core/mappers/otlp-wire.js";
export { decodeTraceRequest } from "./core/mappers/otlp-wire.js";
export type {
  DeadLetterJson,
  DeadLetterRecord,
  LocalDeadLetters,
} from "./adapters/local-dead-letters.js";
export type { DeadLetter, Selection } from "./core/dead-letter-view.js";
export {
  countByReason,
  deadLetterJson,
  selectDeadLetters,
  toDeadLetter,
} from "./core/dead-letter-view.js";
export { createLocalIngest } from "./adapters/local-ingest.js";
export {
  RESUBMITTED_FROM_HEADER,
  readDeadLetters,
  resubmitDeadLetters,
} from "./adapters/kafka-dead-letters.js";
export {
  LOCAL_DEAD_LETTER_RETENTION_DAYS,
  deadLetterJsonRecord,
  fromDeadLetterJson,
  openLocalDeadLetters,
} from "./adapters/local-dead-letters.js";
