import { appendFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSpool, type Spool } from "./spool.js";
import { encodeRecords } from "./spool-format.js";

const events = (from: number, count: number): Buffer[] =>
  Array.from({ length: count }, (_, i) =>
    Buffer.from(JSON.stringify({ n: from + i })),
  );

async function drainAll(spool: Spool): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const segment = await spool.oldest();
    if (!segment) return seen;
    for (const payload of segment.payloads)
      seen.push((JSON.parse(payload.toString()) as { n: number }).n);
    await spool.remove(segment.id);
  }
}

describe("openSpool", () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "warden-spool-"));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("replays every appended event after a restart, oldest first, across segments", async () => {
    const first = await openSpool({ directory, segmentBytes: 200 });
    for (let batch = 0; batch < 10; batch += 1)
      await first.append(events(batch * 5, 5));
    expect(first.segmentCount()).toBeGreaterThan(1);
    // No close(): a killed process never gets to run it.
    const second = await openSpool({ directory, segmentBytes: 200 });
    expect(second.isEmpty()).toBe(false);
    expect(await drainAll(second)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(second.isEmpty()).toBe(true);
    expect(second.sizeBytes()).toBe(0);
    await second.close();
    await first.close();
  });

  it("keeps appending after the active segment was read and removed", async () => {
    const spool = await openSpool({ directory });
    await spool.append(events(0, 3));
    expect(await drainAll(spool)).toEqual([0, 1, 2]);
    await spool.append(events(3, 2));
    expect(await drainAll(spool)).toEqual([3, 4]);
    await spool.close();
    expect(
      (await readdir(directory)).filter((name) => name.endsWith(".seg")),
    ).toEqual([]);
  });

  it("tolerates a torn last record: the intact ones replay, the torn one is counted", async () => {
    const spool = await openSpool({ directory });
    await spool.append(events(0, 4));
    const [segmentFile] = (await readdir(directory)).filter((name) =>
      name.endsWith(".seg"),
    );
    const torn = encodeRecords(events(4, 1)).subarray(0, 11);
    await appendFile(join(directory, segmentFile ?? ""), torn);
    const reopened = await openSpool({ directory });
    const segment = await reopened.oldest();
    expect(
      segment?.payloads.map(
        (p) => (JSON.parse(p.toString()) as { n: number }).n,
      ),
    ).toEqual([0, 1, 2, 3]);
    expect(segment?.damagedBytes).toBe(11);
    await reopened.close();
    await spool.close();
  });

  it("refuses an append past its byte limit and says so", async () => {
    const spool = await openSpool({ directory, maxBytes: 80 });
    await spool.append(events(0, 3));
    await expect(spool.append(events(3, 3))).rejects.toMatchObject({
      reason: "spool_full",
    });
    await drainAll(spool);
    await expect(spool.append(events(3, 3))).resolves.toBeUndefined();
    await spool.close();
  });

  it("refuses a directory another live process holds, and takes over a dead one's", async () => {
    await writeFile(join(directory, "spool.lock"), String(process.ppid));
    await expect(openSpool({ directory })).rejects.toThrow(
      /in use by process/u,
    );
    await writeFile(join(directory, "spool.lock"), "999999999");
    const spool = await openSpool({ directory });
    await spool.close();
  });
});
