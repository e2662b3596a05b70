export type { BurstRule, BurstState } from "./core/burst-rule.js";
export { DEFAULT_BURST_RULE, observeBurst } from "./core/burst-rule.js";
