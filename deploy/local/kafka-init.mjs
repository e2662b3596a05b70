// Called by deploy/local/stack once the broker logs that it started (and by compose's
// kafka-init and the Kubernetes Job warden-kafka-acls): waits until the cluster answers,
// creates Warden's topics, with --acls the ACLs of deploy/local/kafka-acls.mjs, and waits until
// the group coordinator answers (asking for it makes the broker create __consumer_offsets), so
// the first test that joins a group does not race the coordinator's start; likewise it waits
// until an idempotent producer is given its producer id (a fresh broker answers "coordinator
// loading" until it has one), so a first service's producer does not hold up its consumer's
// batch past the session timeout. Connects with the
// KAFKA_SASL_* / KAFKA_SSL* variables of the environment (a super user for --acls).
//   node deploy/local/kafka-init.mjs <broker host:port> [--acls]
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  ensureTopics,
  readKafkaConfig,
  retry,
} from "@warden/shared";
import { aclEntries } from "./kafka-acls.mjs";

const broker = process.argv[2] ?? "127.0.0.1:9092";
const withAcls = process.argv.includes("--acls");
const config = readKafkaConfig({
  ...process.env,
  KAFKA_BROKERS: broker,
  KAFKA_CLIENT_ID: "warden-stack",
});
const names = createNames(process.env.WARDEN_NAMESPACE ?? "");
const logger = createLogger({ level: "fatal", service: "stack" });
const kafka = createKafka({ config, logger });

const admin = await retry(() => connectAdmin(kafka, config), {
  attempts: 20,
  initialMs: 250,
  maxDelayMs: 2_000,
});
// A broker that has just started can answer metadata before it hosts the new
// partitions (UNKNOWN_TOPIC_OR_PARTITION, retriable); creating topics is idempotent.
await retry(() => ensureTopics(admin, names), {
  attempts: 20,
  initialMs: 250,
  maxDelayMs: 2_000,
});
if (withAcls) await admin.createAcls({ acl: aclEntries(names) });
await retry(() => admin.describeGroups(["warden-stack-probe"]), {
  attempts: 40,
  initialMs: 250,
  maxDelayMs: 1_000,
  shouldRetry: () => true,
});
await admin.disconnect();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await retry(() => producer.connect(), {
  attempts: 40,
  initialMs: 250,
  maxDelayMs: 1_000,
  shouldRetry: () => true,
});
await producer.disconnect();
