import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { eventually, freePort } from "./support/service.js";
import { metricValue, ssfClient, until } from "./support/ssf-client.js";
import { runWarden } from "./support/ssf-cli.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type";
const RECEIVERS = JSON.stringify([
  { id: "idp", token_sha256: sha256Hex("idp-token"), tenant: "acme" },
  {
    id: "soc",
    token_sha256: sha256Hex("soc-token"),
    tenant: "*",
    scopes: ["warden.admin"],
  },
]);

/** The stream-updated payload of a SET. */
const streamUpdate = (jwt: string) =>
  (decodeJwt(jwt)["events"] as Record<string, unknown>)[
    `${SSF}/stream-updated`
  ] as { status: string; reason?: string } | undefined;

// Issue 6 leftovers against a revoker process over the real stack: a push stream whose
// receiver keeps failing is paused (SETs kept, sent once re-enabled), and a stream whose
// receiver stays inactive past inactivity_timeout is paused.
describe("revoker auto-pause after sustained delivery failure", () => {
  const names = uniqueNames("ssfpause");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let ops = "";
  const idp = (...args: string[]) =>
    runWarden(
      { WARDEN_REVOKER_URL: revoker.base, WARDEN_SSF_TOKEN: "idp-token" },
      ...args,
    );

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-pause-test",
    });
    receiver = await startPushReceiver();
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_RECEIVERS: RECEIVERS,
      REVOKER_RECEIVER_ALLOW_HTTP: "true",
      REVOKER_RECEIVER_ALLOWED_CIDRS: "127.0.0.1/32",
      REVOKER_RETRY_INITIAL: "100ms",
      REVOKER_RETRY_MAX: "300ms",
      REVOKER_BREAKER_FAILURES: "50",
      REVOKER_AUTO_PAUSE_AFTER: "2s",
      REVOKER_CASCADE: "false",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await receiver?.close();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("pauses a stream whose pushes keep failing, keeps its SETs, and delivers them once enabled", async () => {
    const added = await idp(
      "receivers",
      "add",
      "--push",
      receiver.url,
      "--events",
      "session-revoked",
      "--json",
    );
    expect(added.code, added.stderr).toBe(0);
    const streamId = (JSON.parse(added.stdout) as { stream_id: string })
      .stream_id;
    receiver.answer = { status: 503 };
    const revoked = await ssfClient(revoker.base, "soc-token")(
      "POST",
      "/admin/revoke",
      { tenant: "acme", agent_id: "agent:flaky", reason: "test" },
    );
    expect(revoked.status).toBe(202);

    const paused = await eventually("the stream to be paused", async () => {
      const status = await idp(
        "receivers",
        "status",
        "get",
        streamId,
        "--json",
      );
      const answer = JSON.parse(status.stdout) as {
        status: string;
        reason?: string;
      };
      return answer.status === "paused" ? answer : undefined;
    });
    expect(paused.reason).toMatch(
      /^paused by the transmitter: \d+ failed pushes and none delivered for \d+ s$/,
    );
    expect(
      await metricValue(
        ops,
        'warden_revoker_streams_paused_total{receiver="idp",cause="delivery_failure",service="revoker"}',
      ),
    ).toBe(1);

    // The receiver is back: it hears why it was paused, but agent events wait for enabling.
    receiver.answer = { status: 202 };
    await until("the stream-updated SET", () =>
      receiver.accepted.some(
        (set) => streamUpdate(set.jwt)?.status === "paused",
      ),
    );
    expect(
      receiver.accepted.filter(
        (set) => set.eventType === `${CAEP}/session-revoked`,
      ),
    ).toEqual([]);

    const enabled = await idp(
      "receivers",
      "status",
      "set",
      streamId,
      "enabled",
    );
    expect(enabled).toMatchObject({
      code: 0,
      stdout: `${streamId}  enabled (status set to enabled by receiver idp)\n`,
    });
    await until("the held session-revoked SET", () =>
      receiver.accepted.some(
        (set) => set.eventType === `${CAEP}/session-revoked`,
      ),
    );
    const revokedSets = receiver.accepted.filter(
      (set) => set.eventType === `${CAEP}/session-revoked`,
    );
    expect(revokedSets).toHaveLength(1);
    expect(decodeJwt(revokedSets[0]?.jwt ?? "")["sub_id"]).toEqual({
      format: "iss_sub",
      iss: `${revoker.base}/tenants/acme`,
      sub: "agent:flaky",
    });
  });
});

describe("revoker inactivity_timeout", () => {
  const names = uniqueNames("ssfidle");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  let ops = "";

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-idle-test",
    });
    const opsPort = await freePort();
    ops = `http://127.0.0.1:${opsPort}`;
    revoker = await startRevoker(names, {
      WARDEN_OPS_PORT: String(opsPort),
      REVOKER_RECEIVERS: RECEIVERS,
      REVOKER_STREAM_INACTIVITY_TIMEOUT: "3s",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("advertises inactivity_timeout and pauses a stream nobody touches, telling its receiver", async () => {
    const idp = ssfClient(revoker.base, "idp-token");
    const created = await idp("POST", "/ssf/streams", {
      events_requested: [`${CAEP}/session-revoked`],
    });
    expect(created.body).toMatchObject({ inactivity_timeout: 3 });
    const streamId = (created.body as { stream_id: string }).stream_id;

    // Read behind the API's back: an API read would count as activity.
    const kv = await connection
      .jetstream()
      .views.kv(names.revoker.streamsBucket);
    const record = await eventually("the stream to be paused", async () => {
      const entry = await kv.get(streamId);
      const value = entry?.json<{ status: string; reason?: string }>();
      return value?.status === "paused" ? value : undefined;
    });
    expect(record.reason).toMatch(
      /^paused by the transmitter: no receiver activity for \d+ s \(inactivity_timeout 3 s\)$/,
    );
    expect(
      await metricValue(
        ops,
        'warden_revoker_streams_paused_total{receiver="idp",cause="inactivity",service="revoker"}',
      ),
    ).toBe(1);

    const polled = await idp("POST", `/ssf/poll/${streamId}`, {
      maxEvents: 10,
      returnImmediately: true,
    });
    const sets = Object.values(
      (polled.body as { sets: Record<string, string> }).sets,
    );
    expect(sets.map(streamUpdate)).toEqual([
      { status: "paused", reason: record.reason },
    ]);
    const enabled = await idp("POST", "/ssf/status", {
      stream_id: streamId,
      status: "enabled",
    });
    expect(enabled.body).toEqual({
      stream_id: streamId,
      status: "enabled",
      reason: "status set to enabled by receiver idp",
    });
  });
});
