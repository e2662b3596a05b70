import { GatewayConfigError } from "./errors.js";
import {
  DEFAULT_SPOOL_MAX_BYTES,
  DEFAULT_SPOOL_SEGMENT_BYTES,
} from "./spool.js";

export const DEFAULT_MAX_QUEUE_EVENTS = 10_000;
export const DEFAULT_MAX_BATCH_EVENTS = 500;
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
export const DEFAULT_LINGER_MS = 5;
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;
export const DEFAULT_ENQUEUE_TIMEOUT_MS = 1_000;
export const DEFAULT_RETRY_INITIAL_MS = 200;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** Limits of a shipper; every one optional, with the default named beside it. */
export interface ShipperLimits {
  /** Events held in memory before ship() pushes back. Default 10 000. */
  readonly maxQueueEvents?: number;
  /** Events per batch sent to Warden. Default 500. */
  readonly maxBatchEvents?: number;
  /** Bytes per batch. Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /** How long a lone event waits for company before its batch leaves. Default 5 ms. */
  readonly lingerMs?: number;
  /** A batch Warden has not acknowledged by then goes to the spool. Default 5 s. */
  readonly sendTimeoutMs?: number;
  /** How long ship() waits for room in a full queue before refusing. Default 1 s. */
  readonly enqueueTimeoutMs?: number;
  /** Bound of the on-disk spool. Default 256 MiB. */
  readonly spoolMaxBytes?: number;
  /** Size at which a spool segment is sealed. Default 8 MiB. */
  readonly spoolSegmentBytes?: number;
  /** First back-off before re-sending spooled events; doubles, with full jitter. Default 200 ms. */
  readonly retryInitialMs?: number;
  /** Cap of that back-off. Default 30 s. */
  readonly retryMaxDelayMs?: number;
}

export type CompiledShipperLimits = {
  readonly [K in keyof ShipperLimits]-?: number;
};

/** Applies defaults and rejects impossible or contradictory limits, naming every one. */
export function compileShipperLimits(
  limits: ShipperLimits,
): CompiledShipperLimits {
  const compiled: CompiledShipperLimits = {
    maxQueueEvents: limits.maxQueueEvents ?? DEFAULT_MAX_QUEUE_EVENTS,
    maxBatchEvents: limits.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
    maxBatchBytes: limits.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
    lingerMs: limits.lingerMs ?? DEFAULT_LINGER_MS,
    sendTimeoutMs: limits.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
    enqueueTimeoutMs: limits.enqueueTimeoutMs ?? DEFAULT_ENQUEUE_TIMEOUT_MS,
    spoolMaxBytes: limits.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
    spoolSegmentBytes: limits.spoolSegmentBytes ?? DEFAULT_SPOOL_SEGMENT_BYTES,
    retryInitialMs: limits.retryInitialMs ?? DEFAULT_RETRY_INITIAL_MS,
    retryMaxDelayMs: limits.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
  };
  const problems: { option: string; expected: string }[] = [];
  const positive: (keyof CompiledShipperLimits)[] = [
    "maxQueueEvents",
    "maxBatchEvents",
    "maxBatchBytes",
    "sendTimeoutMs",
    "spoolMaxBytes",
    "spoolSegmentBytes",
    "retryInitialMs",
    "retryMaxDelayMs",
  ];
  for (const key of positive)
    if (!Number.isFinite(compiled[key]) || compiled[key] <= 0)
      problems.push({ option: key, expected: "a number > 0" });
  for (const key of ["lingerMs", "enqueueTimeoutMs"] as const)
    if (!Number.isFinite(compiled[key]) || compiled[key] < 0)
      problems.push({ option: key, expected: "a number >= 0" });
  if (compiled.maxBatchEvents > compiled.maxQueueEvents)
    problems.push({
      option: "maxBatchEvents",
      expected: "at most maxQueueEvents",
    });
  if (compiled.spoolSegmentBytes > compiled.spoolMaxBytes)
    problems.push({
      option: "spoolSegmentBytes",
      expected: "at most spoolMaxBytes",
    });
  if (compiled.retryInitialMs > compiled.retryMaxDelayMs)
    problems.push({
      option: "retryInitialMs",
      expected: "at most retryMaxDelayMs",
    });
  if (problems.length > 0) throw new GatewayConfigError(problems);
  return Object.freeze(compiled);
}
