// The baseline model's public surface: the types, the KV key layout and the wire codec.
export type {
  BaselineHistory,
  BaselineLevel,
  BaselineModel,
  BaselineScope,
  IdleGaps,
  RobustStats,
  Vocabulary,
  VocabularyDimension,
} from "./model.js";
export {
  ALL_HOURS_OF_DAY,
  BASELINE_FORMAT_VERSION,
  EMPTY_STATS,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
} from "./model.js";
export type { BaselineDecode } from "./codec.js";
export { decodeBaseline, encodeBaseline } from "./codec.js";
export {
  agentBaselineKey,
  baselineKey,
  peerBaselineKey,
  tenantBaselineKey,
} from "./keys.js";
