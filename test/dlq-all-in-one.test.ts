import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";

const run = promisify(execFile);

// `warden dlq` against the all-in-one (WARDEN_DLQ_URL): the dead letters `warden start` keeps
// are the Kafka DLQ's records, so the same command lists and re-submits them.
describe("warden dlq against the all-in-one", () => {
  let dir: string;
  let started: WardenProcess | undefined;
  let url = "";
  const dlq = (...args: string[]) =>
    run(process.execPath, ["cli/dist/main.js", "dlq", ...args], {
      env: { ...process.env, WARDEN_DLQ_URL: url },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "warden-dlq-all-in-one-"));
    started = runWarden(["start", "--port", "0"], { CHDB_PATH: dir });
    const [, port] = await started.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    url = `http://127.0.0.1:${port}`;
  }, 90_000);
  afterAll(() => {
    started?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the rejected lines with reason, exact bytes and source, and re-submits them", async () => {
    const notJson = Buffer.from([0x7b, 0xff, 0x1b, 0x5b, 0x32, 0x4a]); // "{", bad UTF-8, ESC[2J
    const wrongSchema = JSON.stringify({ schema: "agent-audit/v9" });
    const posted = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: Buffer.concat([notJson, Buffer.from(`\n${wrongSchema}`)]),
    });
    expect(posted.status).toBe(202);

    const listed = (await dlq("list", "--json")).stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({
      offset: "0",
      reason: "invalid_json",
      source: "http",
      gateway: null,
      value_base64: notJson.toString("base64"),
    });
    expect(listed[1]).toMatchObject({
      offset: "1",
      reason: "unsupported_schema_version",
      value_base64: Buffer.from(wrongSchema).toString("base64"),
    });
    // The terminal view escapes the hostile bytes instead of printing them.
    const text = (await dlq("list", "--reason", "invalid_json")).stdout;
    expect(text).toMatch(/^1 dead letters\n {2}invalid_json\t1\n0\t/u);
    expect(text).not.toContain("\u001b");

    const dry = await dlq(
      "resubmit",
      "--reason",
      "unsupported_schema_version",
      "--dry-run",
    );
    expect(dry.stdout).toBe(
      `would re-submit 1 dead letters to ${url}/v1/events\n`,
    );
    const sent = await dlq("resubmit", "--offset", "1");
    expect(sent.stdout).toBe(
      `re-submitted 1 dead letters to ${url}/v1/events\n`,
    );
    // Still the wrong schema: rejected again, a third dead letter with the same bytes.
    const again = (
      await dlq("list", "--json", "--reason", "unsupported_schema_version")
    ).stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(again.map((letter) => letter["offset"])).toEqual(["1", "2"]);
    expect(again[1]?.["value_base64"]).toBe(again[0]?.["value_base64"]);
  }, 120_000);

  it("names the variable when WARDEN_DLQ_URL is not a URL, with exit code 2", async () => {
    const failed = await run(
      process.execPath,
      ["cli/dist/main.js", "dlq", "list"],
      {
        env: { ...process.env, WARDEN_DLQ_URL: "ftp://nope" },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain("WARDEN_DLQ_URL");
  });
});
