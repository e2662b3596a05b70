import { randomBytes } from "node:crypto";
import {
  createLogger,
  createNames,
  readKafkaConfig,
  readNatsConfig,
  type KafkaConfig,
  type NatsConfig,
  type WardenNames,
} from "@warden/shared";

/** Connection settings of the local stack (deploy/local/stack), overridable like the services'. */
export const kafkaConfig: KafkaConfig = readKafkaConfig(process.env);
export const natsConfig: NatsConfig = readNatsConfig(process.env);
export const testLogger = createLogger({ level: "warn", service: "test" });
/**
 * For clients a test makes fail on purpose (restarted brokers, forged messages): their
 * warnings are the expected outcome, and the test asserts on it, not on the log.
 */
export const quietLogger = createLogger({ level: "fatal", service: "test" });

/** A fresh namespace per test so topics, groups, streams and buckets never collide. */
export function uniqueNames(label: string): WardenNames {
  return createNames(`t-${label}-${randomBytes(4).toString("hex")}`);
}
