import {
  connectAdmin,
  createKafka,
  ensureTopics,
  kafkaUnreachable,
  type KafkaConfig,
  type Logger,
  type WardenNames,
} from "@warden/shared";
import { toLine, type EventSink, type SinkReport } from "./sink.js";

/**
 * Produces to the audit topic (`agent.audit.v1`, namespaced) with the agent id as key, the
 * way a gateway does: acks from all in-sync replicas, idempotent producer, one send per batch
 * awaited before the next (so the generator never runs ahead of the broker).
 */
export async function createKafkaSink(options: {
  readonly config: KafkaConfig;
  readonly names: WardenNames;
  readonly logger: Logger;
}): Promise<EventSink> {
  const kafka = createKafka({ config: options.config, logger: options.logger });
  const admin = await connectAdmin(kafka, options.config);
  try {
    await ensureTopics(admin, options.names);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  try {
    await producer.connect();
  } catch (error) {
    throw kafkaUnreachable(options.config, error);
  }
  const topic = options.names.topics.audit;
  let bytes = 0;
  return {
    description: `kafka topic ${topic}`,
    async write(batch) {
      const messages = batch.map((generated) => {
        const value = toLine(generated);
        bytes += Buffer.byteLength(value) + 1;
        return { key: generated.event.agent.id, value };
      });
      await producer.send({ topic, acks: -1, messages });
    },
    async close(): Promise<SinkReport> {
      await producer.disconnect();
      return { bytes, rejected: 0 };
    },
  };
}
