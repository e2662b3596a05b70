import { fastify } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import {
  createIngestMetrics,
  loadIngestConfig,
  registerHttpIngest,
  type IngestSink,
} from "@warden/ingest";
import { createRegistry } from "@warden/shared";
import { createAuditCopy } from "../cli/src/audit-copy.js";

// The all-in-one's back-pressure, with its real parts in one process: the HTTP ingest's guard
// asks the audit copy whether the store is behind; once `maxBacklog` records wait, a post is
// refused 503 `backlog` (counted, Retry-After) before its body is read, and taken again once
// the store has caught up. Nothing waiting is dropped.
describe("all-in-one ingest back-pressure from the audit copy", () => {
  const app = fastify({ logger: false });
  afterAll(() => app.close());

  it("refuses ingest while the audit copy is at its bound, counts it, and takes it again after", async () => {
    const written: number[] = [];
    let release: () => void = () => undefined;
    const audits = createAuditCopy<number>({
      write: async (records) => {
        await new Promise<void>((resolve) => (release = resolve));
        written.push(...records);
      },
      maxBacklog: 2,
      onError: () => undefined,
    });
    const registry = createRegistry("backlog-test");
    const posted: number[] = [];
    const sink: IngestSink = (messages) => {
      posted.push(messages.length);
      return Promise.resolve(
        messages.map((_, index) => ({
          line: index + 1,
          status: "accepted" as const,
        })),
      );
    };
    const ingest = loadIngestConfig({});
    await registerHttpIngest(app, {
      tokens: [],
      limits: ingest.httpLimits,
      metrics: createIngestMetrics(registry),
      sink,
      backlog: () => audits.behind(),
    });
    const post = () =>
      app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { "content-type": "application/x-ndjson", host: "127.0.0.1" },
        payload: '{"a":1}\n{"b":2}',
      });

    expect((await post()).statusCode).toBe(202);
    audits.add(1);
    audits.add(2);
    const refused = await post();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json()).toMatchObject({
      error: "backlog",
      message: expect.stringContaining("WARDEN_AUDIT_BACKLOG 2") as string,
    });
    expect(posted).toEqual([2]);
    expect(await registry.metrics()).toMatch(
      /warden_ingest_http_refused_total\{reason="backlog"[^}]*\} 1\n/,
    );

    // A record arriving while refused is kept; the store catches up; ingest is taken again.
    audits.add(3);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await audits.settled();
    expect(written).toEqual([1, 2, 3]);
    expect((await post()).statusCode).toBe(202);
    expect(posted).toEqual([2, 2]);
  });
});
