import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { readTopic, topicSize } from "./support/kafka.js";
import { eventually, freePort, startService } from "./support/service.js";

const run = promisify(execFile);

// `warden dlq` against the real broker: list what ingest rejected, fix, re-submit.
describe("warden dlq", () => {
  const { names, namespace, kafka, admin } = useKafkaNamespace("dlq");

  const env = { ...process.env, WARDEN_NAMESPACE: namespace };

  const warden = (...args: string[]) =>
    run(process.execPath, ["cli/dist/main.js", ...args], { env });

  it("lists dead letters by reason and re-submits the chosen ones after the fix", async () => {
    const big = JSON.stringify({
      schema: "agent-audit/v1",
      event_id: "dlq-big-event-1",
      time: new Date().toISOString(),
      agent: { id: "agent:reporter/1" },
      credential: { id: "key-1", type: "api_key" },
      action: { name: "report.render", verb: "read" },
      outcome: "success",
      attributes: { rendered: "r".repeat(70 * 1024) },
    });
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.audit,
      messages: [
        { key: "agent:reporter/1", value: big },
        { key: "gw", value: "not json" },
      ],
    });
    await producer.disconnect();

    const serviceEnv = {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(await freePort()),
    };
    const strict = startService("services/ingest/dist/main.js", serviceEnv);
    await eventually("both dead letters", async () =>
      (await topicSize(admin(), names.topics.auditDlq)) === 2
        ? true
        : undefined,
    );
    expect(await strict.stop()).toBe(0);

    const listed = await warden("dlq", "list", "--json");
    const letters = listed.stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as {
            reason: string;
            value_base64: string;
            offset: string;
          },
      );
    expect(letters.map((letter) => letter.reason).sort()).toEqual([
      "invalid_json",
      "too_large",
    ]);
    const tooLarge = letters.find((letter) => letter.reason === "too_large");
    expect(Buffer.from(tooLarge?.value_base64 ?? "", "base64").toString()).toBe(
      big,
    );
    const human = await warden("dlq", "list", "--reason", "invalid_json");
    expect(human.stdout).toMatch(/^1 dead letters\n {2}invalid_json\t1\n/);

    await expect(warden("dlq", "resubmit")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("--reason, --offset or --all") as string,
    });
    const relaxed = startService("services/ingest/dist/main.js", {
      ...serviceEnv,
      INGEST_MAX_EVENT_BYTES: "128KiB",
    });
    const resubmitted = await warden(
      "dlq",
      "resubmit",
      "--reason",
      "too_large",
    );
    expect(resubmitted.stdout).toContain("re-submitted 1 dead letters");
    const [event] = await readTopic(kafka(), names.topics.events, 1);
    expect(JSON.parse(event?.value?.toString() ?? "{}")).toMatchObject({
      event_id: "dlq-big-event-1",
    });
    expect(await relaxed.stop()).toBe(0);
    expect(await topicSize(admin(), names.topics.auditDlq)).toBe(2);
  });
});
