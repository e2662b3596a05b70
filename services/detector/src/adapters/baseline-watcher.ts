import type { KV, QueuedIterator, KvEntry } from "nats";
import { decodeBaseline, type Logger } from "@warden/shared";
import type { BaselineIndex } from "../core/baseline-index.js";
import type { DetectorMetrics } from "../metrics.js";

/**
 * Mirrors the `warden-baselines` KV bucket into the engine's baseline index: every key's
 * latest value first, then every update. An undecodable entry is logged and counted; the
 * previous baseline for that key (if any) is kept, since an old baseline beats none.
 */
export async function watchBaselines(options: {
  readonly bucket: KV;
  readonly index: BaselineIndex;
  readonly logger: Logger;
  readonly metrics: DetectorMetrics;
}): Promise<{ readonly watching: boolean; stop(): Promise<void> }> {
  const { bucket, index, metrics } = options;
  const log = options.logger.child({ component: "baseline-watcher" });
  const updates: QueuedIterator<KvEntry> = await bucket.watch({ key: ">" });
  let watching = true;
  let stopping = false;
  const done = (async () => {
    for await (const entry of updates) {
      if (entry.operation !== "PUT") {
        index.delete(entry.key);
        metrics.baselineUpdates.labels("deleted").inc();
        continue;
      }
      const decoded = decodeBaseline(entry.value);
      if (!decoded.ok) {
        metrics.baselineUpdates.labels("rejected").inc();
        log.warn(
          { key: entry.key, problem: decoded.problem },
          "ignoring an undecodable baseline",
        );
        continue;
      }
      index.set(entry.key, decoded.model);
      metrics.baselineUpdates.labels("applied").inc();
    }
  })()
    .catch((error: unknown) => {
      log.error({ err: error }, "baseline watch failed");
    })
    .finally(() => {
      watching = false;
      // Scoring goes on with the baselines already loaded; readiness reports the loss.
      if (!stopping)
        log.error("baseline watch ended; baselines no longer update");
    });
  return {
    get watching() {
      return watching;
    },
    async stop() {
      stopping = true;
      updates.stop();
      await done;
    },
  };
}
