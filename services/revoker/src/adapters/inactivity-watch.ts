import { describeError, type Logger } from "@warden/shared";
import { OPERATOR_OWNER } from "../core/receivers.js";
import { inactivityReason, lastActivityMs } from "../core/stream-health.js";
import type { RevokerMetrics } from "../metrics.js";
import type { StreamStore } from "./stream-store.js";
import type { Transmitter } from "./transmitter.js";

const MIN_CHECK_MS = 250;
const MAX_CHECK_MS = 60_000;

/**
 * SSF 1.0 `inactivity_timeout`: pauses an enabled stream whose receiver has not called the
 * management API about it (nor polled it) for `timeoutMs`. The transmitter may pause,
 * disable or delete; Warden pauses, so nothing queued is lost and `status set enabled`
 * brings it back, and the receiver is told with a stream-updated SET. Inactivity counts
 * from the revoker's start at the earliest, so turning the timeout on pauses nothing at once.
 */
export function startInactivityWatch(options: {
  readonly timeoutMs: number;
  readonly store: StreamStore;
  readonly transmitter: Transmitter;
  readonly metrics: RevokerMetrics;
  readonly logger: Logger;
}): { stop(): void } {
  const { timeoutMs, store, transmitter, metrics } = options;
  if (timeoutMs <= 0) return { stop: () => undefined };
  const log = options.logger.child({ component: "inactivity-watch" });
  const startedAtMs = Date.now();
  let checking = false;

  async function check(): Promise<void> {
    const nowMs = Date.now();
    for (const record of store.cached()) {
      // The operator's stream has no receiver to show activity.
      if (record.status !== "enabled" || record.owner === OPERATOR_OWNER)
        continue;
      const reason = inactivityReason(
        lastActivityMs(record, startedAtMs),
        nowMs,
        timeoutMs,
      );
      if (!reason) continue;
      await transmitter.setStatus(record, "paused", reason);
      metrics.streamsPaused.labels(record.owner, "inactivity").inc();
      log.warn(
        { stream_id: record.stream_id, receiver: record.owner, reason },
        "stream paused for inactivity",
      );
    }
  }

  const timer = setInterval(
    () => {
      if (checking) return;
      checking = true;
      check()
        .catch((error: unknown) =>
          log.error({ error: describeError(error) }, "inactivity check failed"),
        )
        .finally(() => (checking = false));
    },
    Math.min(MAX_CHECK_MS, Math.max(MIN_CHECK_MS, timeoutMs / 4)),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
