// Called by deploy/local/stack once the broker logs that it started: waits until the
// cluster answers, creates Warden's topics, and waits until the group coordinator
// answers (asking for it makes the broker create __consumer_offsets), so the first
// test that joins a group does not race the coordinator's start.
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
const logger = createLogger({ level: "fatal", service: "stack" });
const kafka = createKafka({ config, logger });

const admin = await retry(() => connectAdmin(kafka, config), {
  attempts: 20,
  initialMs: 250,
  maxDelayMs: 2_000,
});
// A broker that has just started can answer metadata before it hosts the new
// partitions (UNKNOWN_TOPIC_OR_PARTITION, retriable); creating topics is idempotent.
await retry(() => ensureTopics(admin, createNames("")), {
  attempts: 20,
  initialMs: 250,
  maxDelayMs: 2_000,
});
await retry(() => admin.describeGroups(["warden-stack-probe"]), {
  attempts: 40,
  initialMs: 250,
  maxDelayMs: 1_000,
  shouldRetry: () => true,
});
await admin.disconnect();
