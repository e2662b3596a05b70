import { describe, expect, it } from "vitest";
import { readKafkaConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { createKafka } from "./kafka.js";

describe("createKafka", () => {
  it("names the partitioner of every producer, so kafkajs has nothing to warn about", () => {
    const lines: string[] = [];
    const kafka = createKafka({
      config: readKafkaConfig({}),
      logger: createLogger({
        level: "debug",
        service: "test",
        destination: { write: (line: string) => void lines.push(line) },
      }),
    });
    // Creating a producer does not connect: kafkajs warns here, once per process, if at all.
    kafka.producer();
    kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    expect(lines.filter((line) => line.includes("partitioner"))).toEqual([]);
  });
});
