import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueuedSet } from "../core/ports.js";
import { openLocalSetQueue } from "./local-set-queue.js";
import { openLocalKeyValue } from "./local-store.js";

const set = (jti: string): QueuedSet => ({
  jti,
  jwt: `jwt-${jti}`,
  event_type:
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
  queued_at_ms: 1,
});

describe("the all-in-one's SET queue", () => {
  let dir: string;
  let clock: number;
  const open = () =>
    openLocalSetQueue({
      file: join(dir, "sets.journal"),
      deadLetterFile: join(dir, "dead.ndjson"),
      clock: () => clock,
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "warden-local-queue-"));
    clock = 1_000;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("hands SETs out in order, once per ack wait, counting redeliveries", async () => {
    const queue = open();
    await queue.ensureConsumers("s1", 5_000);
    await queue.enqueue("s1", "events", set("a"));
    await queue.enqueue("s1", "events", set("b"));
    await queue.enqueue("s1", "events", set("a"));
    const first = await queue.take("s1", "events", 10, 0);
    expect(first.map((taken) => taken.set.jti)).toEqual(["a", "b"]);
    expect(first.map((taken) => taken.redeliveries)).toEqual([0, 0]);
    expect(await queue.take("s1", "events", 10, 0)).toEqual([]);
    expect(await queue.pending("s1", "events")).toBe(0);
    expect(await queue.depth("s1", "events")).toBe(2);
    await first[0]?.ack();
    await first[1]?.nak(100);
    expect(await queue.take("s1", "events", 10, 0)).toEqual([]);
    clock += 100;
    const again = await queue.take("s1", "events", 10, 0);
    expect(again.map((taken) => [taken.set.jti, taken.redeliveries])).toEqual([
      ["b", 1],
    ]);
    clock += 5_000;
    expect((await queue.take("s1", "events", 10, 0))[0]?.redeliveries).toBe(2);
    expect(await queue.take("s1", "control", 10, 0)).toEqual([]);
    queue.close();
  });

  it("keeps what was not acked across a restart, and drops a torn last line", async () => {
    const before = open();
    await before.enqueue("s1", "events", set("a"));
    await before.enqueue("s1", "events", set("b"));
    await before.enqueue("s2", "control", set("c"));
    const taken = await before.take("s1", "events", 1, 0);
    await taken[0]?.ack();
    // No close: the process died. Its last write was cut short.
    appendFileSync(join(dir, "sets.journal"), '{"op":"enqueue","str');
    const after = open();
    expect(
      (await after.take("s1", "events", 10, 0)).map((t) => t.set.jti),
    ).toEqual(["b"]);
    expect(
      (await after.take("s2", "control", 10, 0)).map((t) => t.set.jti),
    ).toEqual(["c"]);
    after.close();
  });

  it("waits for a SET when asked to, and purges and dead-letters", async () => {
    clock = Date.now();
    const queue = openLocalSetQueue({
      file: join(dir, "sets.journal"),
      deadLetterFile: join(dir, "dead.ndjson"),
    });
    const waiting = queue.take("s1", "events", 5, 5_000);
    await queue.enqueue("s1", "events", set("late"));
    expect((await waiting).map((t) => t.set.jti)).toEqual(["late"]);
    await queue.enqueue("s1", "events", set("x"));
    expect(await queue.purgeEvents("s1")).toBe(2);
    await queue.deadLetter("s1", set("y"), "expired");
    expect(
      JSON.parse(readFileSync(join(dir, "dead.ndjson"), "utf8")),
    ).toMatchObject({ stream_id: "s1", jti: "y", reason: "expired" });
    queue.close();
  });
});

describe("the all-in-one's key-value store", () => {
  it("survives a restart, creates only once and tells watchers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-local-kv-"));
    const file = join(dir, "kv.journal");
    const kv = openLocalKeyValue(file);
    const seen: [string, string | undefined][] = [];
    await kv.watch((key, value) => seen.push([key, value]));
    expect(await kv.create("a", "1")).toBe(true);
    expect(await kv.create("a", "2")).toBe(false);
    await kv.put("b", "2");
    await kv.delete("b");
    expect(seen).toEqual([
      ["a", "1"],
      ["b", "2"],
      ["b", undefined],
    ]);
    const reopened = openLocalKeyValue(file);
    expect(await reopened.keys()).toEqual(["a"]);
    expect(await reopened.get("a")).toBe("1");
    rmSync(dir, { recursive: true, force: true });
  });
});
