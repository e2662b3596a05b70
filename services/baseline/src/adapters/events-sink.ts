import type { ClickHouseClient } from "@clickhouse/client";
import type { Consumer, Kafka } from "kafkajs";
import {
  kafkaUnreachable,
  parseCanonicalEvent,
  type CanonicalEvent,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { ensureEventsTable, insertEvents } from "../events-table.js";

import type { BaselineConfig } from "../config.js";
import type { createBaselineMetrics } from "../metrics.js";

/**
 * agent.events.v1 → ClickHouse `events`. A batch's offsets are committed only after the
 * insert resolved, so a crash re-delivers (the table's ReplacingMergeTree absorbs repeats).
 * A message that is not canonical event JSON is logged, counted and skipped.
 */
export async function startEventsSink(options: {
  readonly kafka: Kafka;
  readonly clickhouse: ClickHouseClient;
  readonly config: BaselineConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
  readonly metrics: ReturnType<typeof createBaselineMetrics>;
}): Promise<{ consumer: Consumer; stop(): Promise<void> }> {
  const { kafka, clickhouse, config, names, metrics } = options;
  const log = options.logger.child({ component: "events-sink" });
  const database = config.clickhouse.database;
  await ensureEventsTable(clickhouse, database);
  const consumer = kafka.consumer({ groupId: names.groups.baseline });
  try {
    await consumer.connect();
    await consumer.subscribe({
      topic: names.topics.events,
      fromBeginning: true,
    });
  } catch (error) {
    throw kafkaUnreachable(config.kafka, error);
  }
  await consumer.run({
    autoCommit: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (!payload.isRunning() || payload.isStale()) return;
      const events: CanonicalEvent[] = [];
      for (const message of batch.messages) {
        try {
          events.push(parseCanonicalEvent(message.value));
        } catch (error) {
          metrics.unparseable.inc();
          log.warn(
            {
              partition: batch.partition,
              offset: message.offset,
              err: error,
            },
            "skipping a message that is not canonical event JSON",
          );
        }
      }
      const endTimer = metrics.insertSeconds.startTimer();
      await insertEvents(clickhouse, database, events);
      endTimer();
      metrics.inserted.inc(events.length);
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.lastOffset()) + 1),
        },
      ]);
      await payload.heartbeat();
      log.debug(
        { partition: batch.partition, inserted: events.length },
        "batch inserted",
      );
    },
  });
  return {
    consumer,
    async stop() {
      await consumer.disconnect();
    },
  };
}
