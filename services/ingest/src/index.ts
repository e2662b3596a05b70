export type {
  AcceptOptions,
  Accepted,
  Rejected,
  Rejection,
} from "./core/accept.js";
export {
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  REJECTION,
  acceptAuditMessage,
} from "./core/accept.js";
