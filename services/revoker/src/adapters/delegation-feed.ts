import type { Consumer, Kafka } from "kafkajs";
import {
  describeError,
  parseCanonicalEvent,
  retry,
  type Logger,
} from "@warden/shared";
import type { DelegationGraph } from "../core/delegation-graph.js";

/**
 * Feeds the delegation graph from `agent.events.v1`. The graph lives in memory, so on every
 * start the consumer seeks each partition to the first offset inside the cascade window
 * instead of resuming from a committed offset; it never commits (its group only spreads
 * partitions, and one revoker instance should read them all: use a unique group per instance).
 */
export async function startDelegationFeed(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly graph: DelegationGraph;
  readonly windowMs: number;
  readonly logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const log = options.logger.child({ component: "delegation-feed" });
  const admin = options.kafka.admin();
  await admin.connect();
  const since = Date.now() - options.windowMs;
  // A freshly created topic may not have a leader yet: retriable, so retried.
  const offsets = await retry(() =>
    admin.fetchTopicOffsetsByTimestamp(options.topic, since),
  ).finally(() => admin.disconnect());
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  let skipped = 0;
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ message }) => {
      try {
        const event = parseCanonicalEvent(message.value);
        options.graph.record(
          event.tenant,
          event.delegation,
          event.credential.id,
          event.time_ms,
        );
      } catch (error) {
        skipped += 1;
        if (skipped === 1 || skipped % 1000 === 0)
          log.warn(
            { skipped, error: describeError(error) },
            "unreadable events skipped by the delegation feed",
          );
      }
      return Promise.resolve();
    },
  });
  for (const { partition, offset } of offsets)
    consumer.seek({ topic: options.topic, partition, offset });
  return {
    async stop() {
      await consumer.disconnect();
    },
  };
}
