import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { freePort } from "../support/service.js";
import { metricValue, ssfClient } from "../support/ssf-client.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "../support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "../support/stack.js";

const POLL = "urn:ietf:rfc:8936";
const SESSION_REVOKED =
  "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

// Issue 16: "no quotas on streams and subjects". One receiver may hold at most
// REVOKER_MAX_STREAMS_PER_RECEIVER streams and each stream at most
// REVOKER_MAX_SUBJECTS_PER_STREAM subjects; a refusal is counted and leaves other receivers alone.
describe("per-receiver quotas on SSF streams and subjects", () => {
  const names = uniqueNames("sec-quota");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let ops: string;
  let greedy: ReturnType<typeof ssfClient>;
  let modest: ReturnType<typeof ssfClient>;
  const stream = {
    delivery: { method: POLL },
    events_requested: [SESSION_REVOKED],
  };

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "sec-quota-test",
    });
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "greedy",
          token_sha256: sha256Hex("greedy-token"),
          tenant: "acme",
        },
        {
          id: "modest",
          token_sha256: sha256Hex("modest-token"),
          tenant: "acme",
        },
      ]),
      REVOKER_MAX_STREAMS_PER_RECEIVER: "2",
      REVOKER_MAX_SUBJECTS_PER_STREAM: "2",
    });
    greedy = ssfClient(revoker.base, "greedy-token");
    modest = ssfClient(revoker.base, "modest-token");
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("refuses a receiver's third stream and a stream's third subject, counting both", async () => {
    const first = await greedy("POST", "/ssf/streams", stream);
    expect(first.status).toBe(201);
    expect((await greedy("POST", "/ssf/streams", stream)).status).toBe(201);
    const third = await greedy("POST", "/ssf/streams", stream);
    expect(third.status).toBe(409);
    expect((third.body as { description: string }).description).toMatch(
      /REVOKER_MAX_STREAMS_PER_RECEIVER/,
    );
    // Another receiver's share is untouched.
    expect((await modest("POST", "/ssf/streams", stream)).status).toBe(201);

    const streamId = (first.body as { stream_id: string }).stream_id;
    const subject = (id: string) => ({
      stream_id: streamId,
      subject: { format: "opaque", id },
    });
    expect(
      (await greedy("POST", "/ssf/subjects/add", subject("a"))).status,
    ).toBe(200);
    expect(
      (await greedy("POST", "/ssf/subjects/remove", subject("b"))).status,
    ).toBe(204);
    const over = await greedy("POST", "/ssf/subjects/add", subject("c"));
    expect(over.status).toBe(409);
    expect((over.body as { description: string }).description).toMatch(
      /REVOKER_MAX_SUBJECTS_PER_STREAM/,
    );
    // Re-adding a listed subject moves it, and stays within the quota.
    expect(
      (await greedy("POST", "/ssf/subjects/add", subject("b"))).status,
    ).toBe(200);
    for (const quota of ["streams", "subjects"])
      expect(
        await metricValue(
          ops,
          `warden_revoker_quota_refusals_total{quota="${quota}",service="revoker"}`,
        ),
      ).toBe(1);
  });
});
