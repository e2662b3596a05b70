import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "nats";
import {
  connectNats,
  parseKillSwitchMessage,
  revokedAgentKey,
} from "@warden/shared";
import { eventually } from "./support/service.js";
import { natsConfig, testLogger, uniqueNames } from "./support/stack.js";
import {
  cleanUpNats,
  removeKeyDir,
  sha256Hex,
  startRevoker,
  type TestRevoker,
} from "./support/ssf-revoker.js";

const run = promisify(execFile);
const SOC_TOKEN = "soc-admin-token-41b7";

// `warden revoke | reinstate | approvals | dead-decisions | redrive` against a running revoker over the real stack.
describe("warden admin commands", () => {
  const names = uniqueNames("admincli");
  let connection: NatsConnection;
  let revoker: TestRevoker;
  const warden = (token: string, ...args: string[]) =>
    run(process.execPath, ["cli/dist/main.js", ...args], {
      env: {
        ...process.env,
        WARDEN_REVOKER_URL: revoker.base,
        WARDEN_ADMIN_TOKEN: token,
      },
    });

  beforeAll(async () => {
    connection = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "admin-cli-test",
    });
    revoker = await startRevoker(names, {
      REVOKER_RECEIVERS: JSON.stringify([
        {
          id: "soc",
          token_sha256: sha256Hex(SOC_TOKEN),
          tenant: "*",
          scopes: ["warden.admin"],
        },
        { id: "idp", token_sha256: sha256Hex("idp-token"), tenant: "acme" },
      ]),
    });
  });
  afterAll(async () => {
    await revoker?.stop();
    await cleanUpNats(connection, names);
    await connection?.drain();
    if (revoker) removeKeyDir(revoker);
  });

  it("revokes and reinstates an agent by hand, and lists the approval queue", async () => {
    const kv = await connection.jetstream().views.kv(names.revokedAgentsBucket);
    const key = revokedAgentKey("acme", "agent:report/7");

    const revoked = await warden(
      SOC_TOKEN,
      "revoke",
      "agent:report/7",
      "--tenant",
      "acme",
      "--reason",
      "bulk export",
    );
    expect(revoked.stdout).toMatch(
      /^revoked agent:report\/7 \(tenant acme\), txn \S+/,
    );
    const entry = await kv.get(key);
    expect(entry && parseKillSwitchMessage(entry.value)).toMatchObject({
      ok: true,
      message: {
        action: "revoke",
        // The caller sees the user-facing reason, never the SOC's (issue 16).
        reason: "Access was suspended by the security policy.",
      },
    });

    const pending = await warden(SOC_TOKEN, "approvals", "--json");
    expect(pending.stdout).toBe("");

    await warden(
      SOC_TOKEN,
      "reinstate",
      "agent:report/7",
      "--tenant",
      "acme",
      "--reason",
      "false positive",
    );
    expect((await kv.get(key))?.operation).not.toBe("PUT");
  });

  it("lists the dead decisions and re-drives one (warden dead-decisions, warden redrive)", async () => {
    // A decision the revoker can never parse is dead-lettered at once, as `invalid`.
    await connection
      .jetstream()
      .publish(names.decisionSubject("acme", "bot-9"), '{"schema":"nope"}');
    const listed = async () =>
      (await warden(SOC_TOKEN, "dead-decisions", "--json")).stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { seq: number; reason: string });
    const [entry] = await eventually("the dead decision", async () => {
      const entries = await listed();
      return entries.length > 0 ? entries : undefined;
    });
    expect(entry).toMatchObject({ reason: "invalid" });
    const human = await warden(SOC_TOKEN, "dead-decisions");
    expect(human.stdout).toMatch(
      new RegExp(
        `^1 dead\n${entry?.seq}\t-\t-\t-\tinvalid\t1 deliveries\t`,
        "u",
      ),
    );

    const redriven = await warden(SOC_TOKEN, "redrive", String(entry?.seq));
    expect(redriven.stdout).toBe(`redriven 1: ${entry?.seq}\n`);
    // Re-driven, it ran the whole path again: still unparseable, dead-lettered anew.
    const [again] = await eventually(
      "the re-driven decision back",
      async () => {
        const entries = await listed();
        return entries.length > 0 && entries[0]?.seq !== entry?.seq
          ? entries
          : undefined;
      },
    );
    expect(again).toMatchObject({ reason: "invalid" });

    await expect(warden(SOC_TOKEN, "redrive")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--all") as string,
    });
    await expect(warden(SOC_TOKEN, "redrive", "x1")).rejects.toMatchObject({
      code: 2,
    });
    await expect(warden(SOC_TOKEN, "redrive", "999999")).rejects.toMatchObject({
      code: 3,
    });
    // --all takes every dead decision of the caller's tenant, the re-driven one's new entry too.
    const all = (await warden(SOC_TOKEN, "redrive", "--all")).stdout;
    expect(all).toMatch(/^redriven [1-9]\d*: \d+( \d+)*\n$/u);
    expect(all.trim().split(/[: ]+/u)).toContain(String(again?.seq));
  });

  it("fails with the revoker's reason, never echoing the token", async () => {
    const refused = warden("idp-token", "revoke", "agent:x", "--reason", "r");
    // Exit code 4: the token was refused or lacks the scope.
    await expect(refused).rejects.toMatchObject({
      code: 4,
      stderr: expect.stringMatching(/revoker answered 403/) as string,
    });
    const missing = run(process.execPath, ["cli/dist/main.js", "approvals"], {
      env: { ...process.env, WARDEN_ADMIN_TOKEN: "" },
    });
    await expect(missing).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("WARDEN_ADMIN_TOKEN") as string,
    });
    const bad = run(process.execPath, ["cli/dist/main.js", "approvals"], {
      env: { ...process.env, WARDEN_ADMIN_TOKEN: "has space secret" },
    });
    await expect(bad).rejects.toMatchObject({
      stderr: expect.not.stringContaining("secret") as string,
    });
  });
});
