// Called by deploy/local/stack once the broker logs that it started: waits until the
// cluster answers, creates Warden's topics and touches one consumer group so that
// __consumer_offsets exists before the first test joins a group.
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  ensureTopics,
  retry,
} from "@warden/shared";

const broker = process.argv[2] ?? "127.0.0.1:9092";
const config = {
  brokers: [broker],
  clientId: "warden-stack",
  ssl: false,
  sslCaFile: undefined,
  sasl: undefined,
};
const logger = createLogger({ level: "warn", service: "stack" });
const kafka = createKafka({ config, logger });
const names = createNames("");

const admin = await retry(() => connectAdmin(kafka, config), {
  attempts: 20,
  initialMs: 250,
  maxDelayMs: 2_000,
});
await ensureTopics(admin, names);
const consumer = kafka.consumer({ groupId: "warden-stack-probe" });
await consumer.connect();
await consumer.subscribe({ topic: names.topics.auditDlq });
await new Promise((resolve) => {
  consumer.on(consumer.events.GROUP_JOIN, resolve);
  void consumer.run({ eachMessage: async () => undefined });
});
await consumer.disconnect();
await admin.deleteGroups(["warden-stack-probe"]).catch(() => undefined);
await admin.disconnect();
