import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { NatsConnection } from "nats";
import { connectNats } from "@warden/shared";
import { freePort } from "./support/service.js";
import { ssfClient, until } from "./support/ssf-client.js";
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
const IDP_TOKEN = "idp-cli-token-7c1e";
const PUSH_AUTH = "Bearer push-secret-4f2a";

// `warden receivers …` against a revoker process over the real NATS and Kafka.
describe("warden receivers", () => {
  const names = uniqueNames("ssfcli");
  let connection: NatsConnection;
  let receiver: PushReceiver;
  let revoker: TestRevoker;
  let pushStream = "";
  const as = (token: string, ...args: string[]) =>
    runWarden(
      {
        WARDEN_REVOKER_URL: revoker.base,
        WARDEN_SSF_TOKEN: token,
        IDP_PUSH_AUTH: PUSH_AUTH,
      },
      ...args,
    );
  const idp = (...args: string[]) => as(IDP_TOKEN, ...args);
  const eventsOf = (type: string) =>
    receiver.accepted.filter((set) => set.eventType === type);

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "ssf-cli-test",
    });
    receiver = await startPushReceiver();
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "idp",
          token_sha256: sha256Hex(IDP_TOKEN),
          tenant: "acme",
          audience: "https://idp.example",
        },
        {
          id: "viewer",
          token_sha256: sha256Hex("viewer-token"),
          tenant: "acme",
          scopes: ["ssf.read"],
        },
        {
          id: "soc",
          token_sha256: sha256Hex("soc-token"),
          tenant: "*",
          scopes: ["warden.admin"],
        },
      ]),
      REVOKER_CASCADE: "false",
      REVOKER_RECEIVER_ALLOW_HTTP: "true",
      REVOKER_RECEIVER_ALLOWED_CIDRS: "127.0.0.1/32",
      REVOKER_MIN_VERIFICATION_INTERVAL: "30s",
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await receiver?.close();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("adds a push stream, lists and shows it, never printing the push header", async () => {
    const added = await idp(
      "receivers",
      "add",
      "--push",
      receiver.url,
      "--authorization-env",
      "IDP_PUSH_AUTH",
      "--events",
      "session-revoked,account-disabled",
      "--description",
      "the IdP",
      "--audience",
      "https://idp.example",
      "--json",
    );
    expect(added).toMatchObject({ code: 0, stderr: "" });
    const created = JSON.parse(added.stdout) as Record<string, unknown>;
    pushStream = String(created["stream_id"]);
    expect(created).toMatchObject({
      iss: revoker.base,
      aud: "https://idp.example",
      delivery: { endpoint_url: receiver.url },
      events_delivered: [
        `${CAEP}/session-revoked`,
        "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
      ],
      description: "the IdP",
    });

    const list = await idp("receivers", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^STREAM +STATUS +DELIVERY +ENDPOINT +EVENTS\n/,
    );
    expect(list.stdout).toContain(
      `${pushStream}  enabled  push      ${receiver.url}  session-revoked,account-disabled`,
    );
    const shown = await idp("receivers", "show", pushStream);
    expect(shown.stdout).toMatch(/^stream_id +\S+\nstatus +enabled\n/);
    expect(shown.stdout).toContain("description                the IdP");
    for (const result of [added, list, shown])
      expect(result.stdout + result.stderr).not.toContain("push-secret");
  });

  it("updates the stream's events (PATCH keeps the rest)", async () => {
    const updated = await idp(
      "receivers",
      "update",
      pushStream,
      "--events",
      "all",
      "--json",
    );
    expect(updated.code).toBe(0);
    const config = JSON.parse(updated.stdout) as Record<string, unknown>;
    expect(config["events_delivered"]).toHaveLength(8);
    expect(config["description"]).toBe("the IdP");
  });

  it("pauses and re-enables a stream, the receiver told each time; verifies it", async () => {
    const paused = await idp(
      "receivers",
      "status",
      "set",
      pushStream,
      "paused",
      "--reason",
      "IdP maintenance",
    );
    expect(paused).toMatchObject({
      code: 0,
      stdout: `${pushStream}  paused (IdP maintenance)\n`,
    });
    const got = await idp("receivers", "status", "get", pushStream, "--json");
    expect(JSON.parse(got.stdout)).toEqual({
      stream_id: pushStream,
      status: "paused",
      reason: "IdP maintenance",
    });
    expect(
      (await idp("receivers", "status", "set", pushStream, "enabled")).code,
    ).toBe(0);
    await until(
      "two stream-updated SETs",
      () => eventsOf(`${SSF}/stream-updated`).length === 2,
    );
    const updates = eventsOf(`${SSF}/stream-updated`).map(
      (set) =>
        (decodeJwt(set.jwt)["events"] as Record<string, { status: string }>)[
          `${SSF}/stream-updated`
        ]?.status,
    );
    expect(updates).toEqual(["paused", "enabled"]);

    const verified = await idp(
      "receivers",
      "verify",
      pushStream,
      "--state",
      "check-42",
    );
    expect(verified).toMatchObject({
      code: 0,
      stdout: `verification requested for stream ${pushStream}\n`,
    });
    await until(
      "a verification SET",
      () => eventsOf(`${SSF}/verification`).length === 1,
    );
    const verification = eventsOf(`${SSF}/verification`)[0];
    expect(verification?.authorization).toBe(PUSH_AUTH);
    expect(
      (decodeJwt(verification?.jwt ?? "")["events"] as Record<string, unknown>)[
        `${SSF}/verification`
      ],
    ).toEqual({ state: "check-42" });
    // Sooner than min_verification_interval: the revoker says 429, the CLI fails with 1.
    const again = await idp("receivers", "verify", pushStream);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/revoker answered 429 .*too_many_requests/);
  });

  it("adds and removes a poll stream; a removed stream is not found (exit 3)", async () => {
    const added = await idp("receivers", "add", "--poll", "--json");
    expect(added.code).toBe(0);
    const created = JSON.parse(added.stdout) as {
      stream_id: string;
      delivery: { method: string; endpoint_url: string };
    };
    expect(created.delivery).toEqual({
      method: "urn:ietf:rfc:8936",
      endpoint_url: `${revoker.base}/ssf/poll/${created.stream_id}`,
    });
    const listed = JSON.parse(
      (await idp("receivers", "list", "--json")).stdout,
    ) as { stream_id: string; status: string }[];
    expect(listed.map((stream) => stream.stream_id).sort()).toEqual(
      [pushStream, created.stream_id].sort(),
    );
    expect(listed.every((stream) => stream.status === "enabled")).toBe(true);

    // PUT replaces the whole configuration: the description given before is gone.
    await idp(
      "receivers",
      "update",
      created.stream_id,
      "--description",
      "SIEM",
    );
    const replaced = await idp(
      "receivers",
      "update",
      created.stream_id,
      "--replace",
      "--poll",
      "--events",
      "account-disabled",
      "--json",
    );
    expect(replaced.code, replaced.stderr).toBe(0);
    const replacedConfig = JSON.parse(replaced.stdout) as Record<
      string,
      unknown
    >;
    expect(replacedConfig["events_delivered"]).toEqual([
      "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
    ]);
    expect(replacedConfig).not.toHaveProperty("description");

    expect(await idp("receivers", "remove", created.stream_id)).toMatchObject({
      code: 0,
      stdout: `removed stream ${created.stream_id}\n`,
    });
    const gone = await idp("receivers", "show", created.stream_id);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/revoker answered 404 .*not_found/);
    expect((await idp("receivers", "remove", created.stream_id)).code).toBe(3);
  });

  it("removes and re-adds a subject: a removed agent's events are not sent", async () => {
    const added = await idp("receivers", "add", "--poll", "--json");
    const streamId = (JSON.parse(added.stdout) as { stream_id: string })
      .stream_id;
    const poller = ssfClient(revoker.base, IDP_TOKEN);
    const soc = ssfClient(revoker.base, "soc-token");
    const revokeAndPoll = async (...agents: string[]) => {
      for (const agent of agents)
        expect(
          (
            await soc("POST", "/admin/revoke", {
              tenant: "acme",
              agent_id: agent,
              reason: "subjects test",
            })
          ).status,
        ).toBe(202);
      const subjects = new Set<string>();
      let ack: string[] = [];
      for (;;) {
        const answer = await poller("POST", `/ssf/poll/${streamId}`, {
          ack,
          maxEvents: 50,
          returnImmediately: true,
        });
        const { sets, moreAvailable } = answer.body as {
          sets: Record<string, string>;
          moreAvailable: boolean;
        };
        for (const jwt of Object.values(sets))
          subjects.add((decodeJwt(jwt)["sub_id"] as { sub: string }).sub);
        ack = Object.keys(sets);
        if (!moreAvailable && ack.length === 0) break;
      }
      return [...subjects].sort();
    };

    const removed = await idp(
      "receivers",
      "subjects",
      "remove",
      streamId,
      "--agent",
      "agent:quiet",
    );
    expect(removed).toMatchObject({
      code: 0,
      stdout: `removed subject {"format":"opaque","id":"agent:quiet"} from stream ${streamId}\n`,
    });
    // Both revokes are queued before the poll (202 means durably queued).
    expect(await revokeAndPoll("agent:quiet", "agent:loud")).toEqual([
      "agent:loud",
    ]);

    expect(
      (
        await idp(
          "receivers",
          "subjects",
          "add",
          streamId,
          "--agent",
          "agent:quiet",
        )
      ).code,
    ).toBe(0);
    expect(await revokeAndPoll("agent:quiet")).toEqual(["agent:quiet"]);
    expect((await idp("receivers", "subjects", "add", streamId)).code).toBe(2);
    expect((await idp("receivers", "remove", streamId)).code).toBe(0);
  });

  it("exits 4 for a refused token or a missing scope, 2 for bad usage, 1 when the revoker is down", async () => {
    const usageErrors = [
      ["receivers", "add"],
      ["receivers", "status", "set", pushStream, "on"],
      ["receivers", "update", pushStream],
      ["receivers", "show"],
      ["receivers", "list", "--bogus"],
      [
        "receivers",
        "add",
        "--push",
        receiver.url,
        "--authorization-env",
        "UNSET_VARIABLE_9",
      ],
    ];
    // Independent invocations, none of which changes the revoker's state: run at once, as
    // each CLI process spends most of its time starting up.
    const [wrong, viewer, readOnly, foreign, down, ...usage] =
      await Promise.all([
        as("not-a-token", "receivers", "list"),
        as("viewer-token", "receivers", "list"),
        as("viewer-token", "receivers", "add", "--poll"),
        // Another receiver's stream is answered exactly like a missing one.
        as("viewer-token", "receivers", "show", pushStream),
        freePort().then((port) =>
          runWarden(
            {
              WARDEN_REVOKER_URL: `http://127.0.0.1:${port}`,
              WARDEN_SSF_TOKEN: IDP_TOKEN,
            },
            "receivers",
            "list",
          ),
        ),
        ...usageErrors.map((args) => idp(...args)),
      ]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/revoker answered 401/);
    expect(wrong.stderr).not.toContain("not-a-token");
    expect(viewer).toMatchObject({ code: 0, stdout: "no streams\n" });
    expect(readOnly.code).toBe(4);
    expect(readOnly.stderr).toMatch(/403/);
    expect(foreign.code).toBe(3);
    usageErrors.forEach((args, index) =>
      expect(usage[index]?.code, args.join(" ")).toBe(2),
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the revoker/);
  });
});
