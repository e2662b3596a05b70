export type { SetClaims, SetTarget, SetOptions } from "./core/set.js";
export { buildActionSets, buildStreamSet, setJti } from "./core/set.js";
export { EventType } from "./core/event-types.js";
export { createRevokerMetrics } from "./metrics.js";
