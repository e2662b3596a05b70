export {
  ensureEventsTable,
  insertDecisions,
  insertEvents,
  insertRevocations,
  toEventRow,
} from "./events-table.js";
export type { BaselineConfig } from "./config.js";
export { DEFAULT_BASELINE_OPS_PORT, loadBaselineConfig } from "./config.js";
export { createBaselineMetrics, createRefreshMetrics } from "./metrics.js";
export type { RefreshMetrics } from "./metrics.js";
export { buildModel, hourOfWeekIndex } from "./model/build-model.js";
export type { ScopeAggregates, VocabularyRow } from "./model/build-model.js";
export type { ModelSettings } from "./config.js";
export { refreshTick } from "./model/refresh-tick.js";
export { createEventHistory } from "./model/scope-history.js";
export type {
  AggregateOptions,
  EventHistory,
  HistoryWindow,
} from "./model/scope-history.js";
export { createEventTimeBaselines } from "./model/event-time-baselines.js";
export type {
  EventTimeBaselines,
  ModelIndex,
} from "./model/event-time-baselines.js";
export { startLocalBaselines } from "./adapters/local-baselines.js";
export type {
  LocalBaselineCounts,
  LocalBaselines,
} from "./adapters/local-baselines.js";
export { registerQueryRoutes } from "./api/query-api.js";
export type { Detector as WhatIfDetector } from "./api/what-if-route.js";
