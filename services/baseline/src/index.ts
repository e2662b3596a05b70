export { ensureEventsTable, insertEvents, toEventRow } from "./events-table.js";
export type { BaselineConfig } from "./config.js";
export { DEFAULT_BASELINE_OPS_PORT, loadBaselineConfig } from "./config.js";
export { createBaselineMetrics } from "./metrics.js";
export { buildModel, hourOfWeekIndex } from "./model/build-model.js";
export type { ScopeAggregates, VocabularyRow } from "./model/build-model.js";
export type { ModelSettings } from "./config.js";
