// The baseline model lives in shared/src/baseline-model (read by the detector too). Until
// @warden/shared's front door exports it, this one file reaches it through shared's build.
export type {
  BaselineLevel,
  BaselineModel,
  BaselineScope,
  RobustStats,
  Vocabulary,
  VocabularyDimension,
} from "../../../shared/dist/baseline-model/index.js";
export {
  EMPTY_STATS,
  HOURS_PER_WEEK,
  VOCABULARY_DIMENSIONS,
  BASELINE_FORMAT_VERSION,
  agentBaselineKey,
  baselineKey,
  decodeBaseline,
  peerBaselineKey,
  tenantBaselineKey,
  encodeBaseline,
} from "../../../shared/dist/baseline-model/index.js";
