import { describeError, retry, type Logger } from "@warden/shared";
import {
  findingSinkRequest,
  type FindingSinkConfig,
} from "../core/finding-sinks.js";
import type { OcsfFinding } from "../core/ocsf-finding.js";
import {
  ConnectorError,
  callConnector,
  type ConnectorPolicy,
} from "./connector-worker.js";

export const DEFAULT_FINDING_SINK_ATTEMPTS = 6;

export interface FindingSinkPolicy extends ConnectorPolicy {
  /** Attempts per batch, the first included, before the batch is dead-lettered. */
  readonly attempts: number;
}

/** Findings a sink would not take (refused, or still failing after every attempt). */
export type FindingDeadLetter = (
  sink: FindingSinkConfig,
  findings: readonly OcsfFinding[],
  reason: string,
) => Promise<void>;

export interface FindingSinks {
  /** Sends findings to every sink; resolves once each has taken them or dead-lettered them. */
  send(findings: readonly OcsfFinding[]): Promise<void>;
}

/**
 * Delivery of findings to HTTP sinks, the way the revoker's connectors deliver: the same
 * bounded HTTP call (no redirects, timeout, capped answer), jittered back-off on 5xx / 408 /
 * 429 / network errors, a dead letter on a refusal or when the attempts run out. Counted in
 * warden_revoker_connector_calls_total by sink id.
 */
export function createFindingSinks(options: {
  readonly sinks: readonly FindingSinkConfig[];
  readonly policy: FindingSinkPolicy;
  readonly deadLetter: FindingDeadLetter;
  /** Counts calls by sink id and outcome, where the host declares a metric for it. */
  readonly count?: (
    sinkId: string,
    outcome: "done" | "retry" | "failed",
  ) => void;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}): FindingSinks {
  const { policy } = options;
  const log = options.logger.child({ component: "finding-sinks" });
  async function deliver(
    sink: FindingSinkConfig,
    findings: readonly OcsfFinding[],
  ): Promise<void> {
    try {
      await retry(
        () =>
          callConnector(
            findingSinkRequest(sink, findings, Date.now() / 1000),
            policy,
          ),
        {
          attempts: policy.attempts,
          initialMs: policy.retryInitialMs,
          maxDelayMs: policy.retryMaxMs,
          ...(options.signal ? { signal: options.signal } : {}),
          shouldRetry: (error) =>
            error instanceof ConnectorError && error.retriable,
          onRetry: (error, attempt) => {
            options.count?.(sink.id, "retry");
            log.warn(
              { sink: sink.id, attempt, error: describeError(error) },
              "finding sink failed; will retry",
            );
          },
        },
      );
      options.count?.(sink.id, "done");
    } catch (error) {
      options.count?.(sink.id, "failed");
      const reason =
        error instanceof ConnectorError ? error.outcome : describeError(error);
      log.error(
        { sink: sink.id, findings: findings.length, reason },
        "finding sink gave up; dead-lettered",
      );
      await options.deadLetter(sink, findings, reason);
    }
  }
  return {
    async send(findings) {
      if (findings.length === 0) return;
      await Promise.all(options.sinks.map((sink) => deliver(sink, findings)));
    },
  };
}
