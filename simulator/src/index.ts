// The simulator's public surface, for the CLI, the demo, benchmarks and tests: plan, generate,
// run into a sink; the kinds and population behind a plan, so tests derive what a baseline should say.
export type { Generated, Plan, SimulationOptions } from "./generator.js";
export {
  DEFAULT_LEARNING_FRACTION,
  generateEvents,
  planSimulation,
} from "./generator.js";
export type { KindSpec } from "./kinds.js";
export { KINDS, TENANTS, hourlyFactor } from "./kinds.js";
export { agentAt, agentIp, credentialAt } from "./population.js";
export { hashHex } from "./random.js";
export type { LabelRecord } from "./labels.js";
export { LABEL_SCHEMA, createLabelTracker } from "./labels.js";
export type {
  AttackKind,
  Episode,
  EpisodeRequest,
  TrapKind,
} from "./scenario.js";
export { ATTACK_KINDS, TRAP_KINDS, parseEpisodeList } from "./scenario.js";
export type { Progress, RunOptions, RunSummary } from "./run.js";
export { runSimulation } from "./run.js";
export type { EventSink, SinkReport } from "./sinks/sink.js";
export { createFileSink } from "./sinks/file-sink.js";
export { createHttpSink } from "./sinks/http-sink.js";
export { createKafkaSink } from "./sinks/kafka-sink.js";
