import { readFileSync } from "node:fs";
import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type ITopicConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from "kafkajs";
import type { KafkaConfig } from "../config.js";
import { DependencyError, describeError } from "../errors.js";
import { retry } from "../retry.js";
import type { Logger } from "../logger.js";
import type { ReadinessCheck } from "../ops-server.js";
import { TOPIC_PARTITIONS, type WardenNames } from "../names.js";

const PINO_LEVEL_BY_KAFKA_LEVEL: Record<
  number,
  "error" | "warn" | "info" | "debug"
> = {
  [KafkaLogLevel.NOTHING]: "debug",
  [KafkaLogLevel.ERROR]: "error",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.INFO]: "info",
  [KafkaLogLevel.DEBUG]: "debug",
};

/**
 * Every producer partitions by murmur2 on the key, as Java clients do, so an agent lands on the
 * same partition whichever client wrote it. That is kafkajs 2's default, but it warns on each
 * producer created without naming it; naming it here is the one place, for every producer.
 */
/**
 * Every consumer takes its session timeout from KAFKA_SESSION_TIMEOUT: a member that dies
 * without leaving (kill -9, a lost host) holds its partitions until then. kafkajs heartbeats
 * from its fetch loop, so the interval is a tenth of the timeout, as Kafka's own advice of at
 * most a third allows several misses before the member is dropped.
 * A fetch waits at most 500 ms for data (the Java client's fetch.max.wait.ms), not kafkajs's
 * 5 s: a graceful stop waits for the fetch in flight, so an idle consumer took 5 s to stop.
 */
const FETCH_MAX_WAIT_MS = 500;

class WardenKafka extends Kafka {
  constructor(
    config: ConstructorParameters<typeof Kafka>[0],
    private readonly sessionTimeoutMs: number,
  ) {
    super(config);
  }

  override producer(config?: ProducerConfig): Producer {
    return super.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      ...config,
    });
  }

  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer({
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, this.sessionTimeoutMs / 10),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      ...config,
    });
  }
}

/** A kafkajs client whose own logs go into our pino logger (plain, TLS or SASL per config). */
export function createKafka(options: {
  readonly config: KafkaConfig;
  readonly logger: Logger;
}): Kafka {
  const { config } = options;
  const log = options.logger.child({ component: "kafkajs" });
  const sasl: SASLOptions | undefined = config.sasl
    ? {
        mechanism: config.sasl.mechanism,
        username: config.sasl.username,
        password: config.sasl.password,
      }
    : undefined;
  return new WardenKafka(
    {
      clientId: config.clientId,
      brokers: [...config.brokers],
      ssl: config.ssl
        ? config.sslCaFile
          ? { ca: [readFileSync(config.sslCaFile, "utf8")] }
          : true
        : false,
      ...(sasl ? { sasl } : {}),
      logLevel: KafkaLogLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...rest } = entry;
          log[PINO_LEVEL_BY_KAFKA_LEVEL[level] ?? "info"](
            { ...rest, timestamp: undefined },
            message,
          );
        },
    },
    config.sessionTimeoutMs,
  );
}

/** Turns a kafkajs failure to reach the cluster into one line that says what to do. */
export function kafkaUnreachable(
  config: KafkaConfig,
  cause: unknown,
): DependencyError {
  return new DependencyError(
    "kafka",
    `cannot reach the brokers at ${config.brokers.join(", ")}: start them (npm run stack up) or set KAFKA_BROKERS`,
    { cause },
  );
}

/** Connects an admin client, failing with a clear DependencyError. */
export async function connectAdmin(
  kafka: Kafka,
  config: KafkaConfig,
): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw kafkaUnreachable(config, error);
  }
  return admin;
}

/**
 * Creates Warden's topics where missing, with their partition counts. Idempotent.
 * A KRaft broker can answer metadata for topics it has just created before it has applied
 * them (UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's wait for leaders gives up on; seen when
 * two test files created topics at once): the wait is then repeated until every new
 * partition has a leader.
 */
export async function ensureTopics(
  admin: Admin,
  names: WardenNames,
  replicationFactor = 1,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted: ITopicConfig[] = (
    Object.keys(TOPIC_PARTITIONS) as (keyof typeof TOPIC_PARTITIONS)[]
  )
    .map((key) => ({
      topic: names.topics[key],
      numPartitions: TOPIC_PARTITIONS[key],
      replicationFactor,
    }))
    .filter(({ topic }) => !existing.has(topic));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } catch (error) {
    if ((error as { type?: unknown }).type !== "UNKNOWN_TOPIC_OR_PARTITION")
      throw error;
    const topics = wanted.map(({ topic }) => topic);
    await retry(() => leadersElected(admin, topics), {
      attempts: 30,
      initialMs: 100,
      maxDelayMs: 1_000,
      shouldRetry: () => true,
    });
  }
}

async function leadersElected(
  admin: Admin,
  topics: readonly string[],
): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  const waiting = metadata.topics.filter(
    ({ partitions }) =>
      partitions.length === 0 || partitions.some(({ leader }) => leader < 0),
  );
  if (waiting.length > 0)
    throw new Error(
      `no leader yet for ${waiting.map(({ name }) => name).join(", ")}`,
    );
}

/**
 * Readiness of a consumer: false from a crash (kafkajs gave up retrying) until it has
 * rejoined its group, which kafkajs does by itself when the crash was retriable.
 */
export function consumerReadiness(consumer: Consumer): ReadinessCheck {
  let running = true;
  consumer.on(consumer.events.CRASH, () => {
    running = false;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    running = true;
  });
  return { name: "kafka", check: () => running };
}

/**
 * kafkajs restarts its consumer after a retriable crash and leaves it stopped after any other
 * (an idempotent producer's out-of-order sequence after a broker restart, for one). A service
 * that no longer consumes must not linger as a live but idle process: it stops with exit code 1
 * and its supervisor starts it again, resuming at the committed offsets.
 */
export function stopOnFatalCrash(
  consumer: Consumer,
  options: {
    readonly logger: Logger;
    readonly stop: (reason: string) => Promise<void>;
  },
): void {
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return;
    options.logger.error(
      { err: describeError(event.payload.error) },
      "Kafka consumer stopped after a crash it does not recover from",
    );
    process.exitCode = 1;
    void options.stop("Kafka consumer crashed");
  });
}
