import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  type CanonicalEvent,
} from "@warden/shared";
import { generateTraffic } from "./support/baseline-traffic.js";
import { committedTotal } from "./support/kafka.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";

const TOKEN = "cli-test-token-5f1e0c";
const run = promisify(execFile);

interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// `warden agents` and `warden agent <id>` as a person runs them, against a running baseline
// service's query API over the real stack.
describe("warden agents / warden agent <id>", () => {
  const names = uniqueNames("baseline-cli");
  const namespace = names.groups.baseline.replace(/-warden-baseline$/, "");
  const chdbPath = mkdtempSync(join(tmpdir(), "warden-baseline-cli-"));
  const events: CanonicalEvent[] = generateTraffic(
    ["agent:quiet/1", "agent:risky/2"].map((id) => ({
      id,
      kind: "bot",
      callsPerMinute: 3,
      everyNthMinute: 30,
      activeHours: Array.from({ length: 24 }, (_, hour) => hour),
      actions: [["tickets.read", 1]] as const,
      resources: ["tickets"],
      deniedProbability: 0,
      bytesPerCall: 100,
    })),
    { endMs: Date.now(), days: 1, seed: 3, tenant: "acme" },
  );
  const decision = {
    schema: "agent-decision/v1",
    decision_id: "decision-cli-1",
    tenant: "acme",
    agent_id: "agent:risky/2",
    action: "revoke",
    risk: 0.87,
    at: new Date(Date.now() - 120_000).toISOString(),
    reasons: [
      { detector: "rate", score: 0.87, summary: "90 calls/min vs p99 4" },
    ],
  };
  let kafka: Kafka;
  let admin: Admin;
  let service: RunningService;
  let url = "";

  async function warden(
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<Exit> {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ["cli/dist/main.js", ...args],
        {
          env: {
            ...process.env,
            WARDEN_BASELINE_URL: url,
            WARDEN_BASELINE_TOKEN: TOKEN,
            ...env,
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return failed;
    }
  }

  beforeAll(async () => {
    kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.events,
      messages: events.map((e) => ({
        key: e.agent.id,
        value: JSON.stringify(e),
      })),
    });
    await producer.send({
      topic: names.topics.decisions,
      messages: [{ key: decision.agent_id, value: JSON.stringify(decision) }],
    });
    await producer.disconnect();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = startService("services/baseline/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      CHDB_PATH: chdbPath,
      BASELINE_API_PORT: String(port),
      BASELINE_API_TOKEN: TOKEN,
      BASELINE_REFRESH_INTERVAL: "1s",
      BASELINE_MIN_HISTORY_EVENTS: "10",
      BASELINE_MIN_HISTORY_SPAN: "1h",
    });
    await eventually("events and the decision stored", async () => {
      const stored =
        (await committedTotal(
          admin,
          names.groups.baseline,
          names.topics.events,
        )) +
        (await committedTotal(
          admin,
          names.groups.baseline,
          names.topics.decisions,
        ));
      return stored >= events.length + 1 ? stored : undefined;
    });
  });
  afterAll(async () => {
    await service?.stop();
    await admin
      ?.deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin?.disconnect();
    rmSync(chdbPath, { recursive: true, force: true });
  });

  it("ranks agents by recent risk, as a table and as JSON lines", async () => {
    // Read-only queries, run at once.
    const [json, text, other] = await Promise.all([
      warden(["agents", "--since", "2d", "--json"]),
      warden(["agents", "--tenant", "acme", "--since", "2d", "--limit", "1"]),
      warden(["agents", "--tenant", "globex", "--since", "2d"]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const agents = json.stdout
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as {
            agent_id: string;
            calls: number;
            revokes: number;
          },
      );
    expect(agents.map((a) => a.agent_id)).toEqual([
      "agent:risky/2",
      "agent:quiet/1",
    ]);
    expect(agents[0]?.revokes).toBe(1);
    expect(agents.reduce((sum, a) => sum + a.calls, 0)).toBe(events.length);

    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^1\s+acme\s+agent:risky\/2\s+0\.87\s+1\s+1\s+\d+$/,
    );
    expect(other.stdout.trim()).toBe("no agents with events in the range");
  });

  it("shows an agent's baseline, events, decisions and revocations", async () => {
    const own = events.filter((e) => e.agent.id === "agent:risky/2").length;
    const report = await eventually("risky's baseline in the CLI", async () => {
      const exit = await warden([
        "agent",
        "agent:risky/2",
        "--tenant",
        "acme",
        "--since",
        "2d",
        "--json",
      ]);
      expect(exit.code, exit.stderr).toBe(0);
      const body = JSON.parse(exit.stdout) as {
        baseline: { agent: { history: { events: number } } | null };
        events: unknown[];
        decisions: { decision_id: string }[];
        revocations: unknown[];
      };
      return body.baseline.agent?.history.events === own ? body : undefined;
    });
    expect(report.events).toHaveLength(20);
    expect(report.decisions.map((d) => d.decision_id)).toEqual([
      "decision-cli-1",
    ]);
    expect(report.revocations).toEqual([]);

    const text = await warden([
      "agent",
      "agent:risky/2",
      "--tenant",
      "acme",
      "--since",
      "2d",
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^agent agent:risky\/2 \(tenant acme\)\nbaseline: own,/,
    );
    expect(text.stdout).toContain("calls per active minute: median 3");
    expect(text.stdout).toMatch(/revoke\s+risk 0\.87\s+90 calls\/min vs p99 4/);
  });

  it("pages through the events with the printed cursor, each once", async () => {
    const expected = events
      .filter((e) => e.agent.id === "agent:quiet/1")
      .map((e) => e.event_id)
      .sort();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const exit = await warden([
        "agent",
        "agent:quiet/1",
        "--tenant",
        "acme",
        "--since",
        "2d",
        "--limit",
        "40",
        "--json",
        ...(cursor ? ["--cursor", cursor] : []),
      ]);
      expect(exit.code, exit.stderr).toBe(0);
      const page = JSON.parse(exit.stdout) as {
        events: CanonicalEvent[];
        next_events: string | null;
      };
      seen.push(...page.events.map((e) => e.event_id));
      cursor = page.next_events;
    } while (cursor !== null);
    expect(seen.sort()).toEqual(expected);
  });

  it("fails clearly: unknown agent, bad usage, missing or wrong token, no service", async () => {
    const wrong = "wrong-token-never-printed";
    const closed = `http://127.0.0.1:${await freePort()}`;
    // Independent read-only invocations: run at once, as each CLI process spends most of
    // its time starting up.
    const [unknown, badLimit, badSince, noToken, refused, down] =
      await Promise.all([
        warden(["agent", "agent:nobody/9", "--tenant", "acme"]),
        warden(["agents", "--limit", "0"]),
        warden(["agent", "x", "--since", "yesterday"]),
        warden(["agents"], { WARDEN_BASELINE_TOKEN: "" }),
        warden(["agents"], { WARDEN_BASELINE_TOKEN: wrong }),
        warden(["agents"], { WARDEN_BASELINE_URL: closed }),
      ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /no agent "agent:nobody\/9" in tenant "acme"/,
    );
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(
      /--limit takes a whole number from 1 to 1000/,
    );
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since takes a duration/);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("WARDEN_BASELINE_TOKEN");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/refused the token \(401\)/);
    expect(refused.stderr + refused.stdout).not.toContain(wrong);
    expect(refused.stderr + refused.stdout).not.toContain(TOKEN);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      `cannot reach the baseline query API at ${closed}`,
    );
  });

  it("explains itself with --help and an example", async () => {
    const helps = await Promise.all(
      ["agents", "agent"].map((command) => warden([command, "--help"])),
    );
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Example:");
      expect(help.stdout).toContain("WARDEN_BASELINE_TOKEN");
    }
  });
});
