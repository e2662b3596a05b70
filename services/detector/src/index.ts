export type {
  EngineOptions,
  ScoredEvent,
  ScoringEngine,
} from "./core/engine.js";
export { DETECTORS, createScoringEngine, decisionId } from "./core/engine.js";
export type { BaselineIndex, ResolvedBaseline } from "./core/baseline-index.js";
export { baselineKeysOf } from "./core/baseline-index.js";
export type {
  DetectorLimits,
  DetectorName,
  DetectorResult,
} from "./core/detectors/types.js";
export {
  DEFAULT_DETECTOR_LIMITS,
  DETECTOR_NAMES,
} from "./core/detectors/types.js";
export type { Action, Policy, Suppression } from "./core/policy.js";
export {
  ACTIONS,
  DEFAULT_POLICY,
  PolicyError,
  parsePolicy,
} from "./core/policy.js";
export type { DetectorConfig } from "./config.js";
export { DEFAULT_DETECTOR_OPS_PORT, loadDetectorConfig } from "./config.js";
export { createDetectorMetrics } from "./metrics.js";
export type {
  DecisionPorts,
  DetectorInput,
  DetectorStage,
  DetectorStageMetrics,
  EventTimeModels,
} from "./core/stage.js";
export { createDetectorStage } from "./core/stage.js";
export type { DetectorMetrics } from "./metrics.js";
export type {
  WhatIf,
  WhatIfChange,
  WhatIfOptions,
  WhatIfResult,
} from "./core/what-if.js";
export { createWhatIf } from "./core/what-if.js";
export type { DecisionLog } from "./core/decision-log.js";
export {
  DECISIONS_KEPT,
  createDecisionLog,
  readDecisionLimit,
} from "./core/decision-log.js";
export type { PolicyWatcher } from "./adapters/policy-watcher.js";
export { watchPolicyFile } from "./adapters/policy-watcher.js";
