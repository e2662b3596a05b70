import { afterAll, beforeAll } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  type WardenNames,
} from "@warden/shared";
import { kafkaConfig, testLogger, uniqueNames } from "./stack.js";

/** The WARDEN_NAMESPACE value that gives a service these names. */
export function namespaceOf(names: WardenNames): string {
  return names.groups.ingest.replace(/-?warden-ingest$/, "");
}

/**
 * A fresh namespace for one test file: its topics are created before the tests and
 * deleted after them, with a Kafka client and an admin connection to use meanwhile.
 */
export function useKafkaNamespace(label: string): {
  readonly names: WardenNames;
  readonly namespace: string;
  kafka: () => Kafka;
  admin: () => Admin;
} {
  const names = uniqueNames(label);
  const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
  let admin: Admin | undefined;
  beforeAll(async () => {
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
  });
  afterAll(async () => {
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
  });
  return {
    names,
    namespace: namespaceOf(names),
    kafka: () => kafka,
    admin() {
      if (!admin)
        throw new Error(
          "admin is connected in beforeAll; use it inside a test",
        );
      return admin;
    },
  };
}
