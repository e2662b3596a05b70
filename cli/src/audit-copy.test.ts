import { describe, expect, it } from "vitest";
import { createAuditCopy } from "./audit-copy.js";

describe("createAuditCopy", () => {
  it("writes in order and in batches, says it is behind at the bound, and loses nothing", async () => {
    const written: number[][] = [];
    let release: () => void = () => undefined;
    const copy = createAuditCopy<number>({
      write: async (records) => {
        written.push([...records]);
        await new Promise<void>((resolve) => (release = resolve));
      },
      maxBacklog: 3,
      onError: () => undefined,
    });
    copy.add(1);
    copy.add(2);
    expect(copy.behind()).toBeUndefined();
    copy.add(3);
    expect(copy.backlog).toBe(3);
    expect(copy.behind()).toMatch(
      /^3 audit records wait .*WARDEN_AUDIT_BACKLOG 3/,
    );
    copy.add(4);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await copy.settled();
    expect(written).toEqual([[1], [2, 3, 4]]);
    expect(copy.backlog).toBe(0);
    expect(copy.behind()).toBeUndefined();
  });

  it("reports a failed batch and goes on with the next", async () => {
    const failed: number[] = [];
    const written: number[] = [];
    let calls = 0;
    const copy = createAuditCopy<number>({
      write: (records) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error("store down"));
        written.push(...records);
        return Promise.resolve();
      },
      maxBacklog: 10,
      onError: (_error, records) => failed.push(records),
    });
    copy.add(1);
    copy.add(2);
    await copy.settled();
    copy.add(3);
    await copy.settled();
    expect(failed).toEqual([1]);
    expect(written).toEqual([2, 3]);
  });
});
