export type { BurstRule, BurstState } from "./core/burst-rule.js";
export { DEFAULT_BURST_RULE, observeBurst } from "./core/burst-rule.js";
export type { DetectorConfig } from "./config.js";
export { DEFAULT_DETECTOR_OPS_PORT, loadDetectorConfig } from "./config.js";
