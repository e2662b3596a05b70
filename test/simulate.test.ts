import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectAdmin,
  createKafka,
  ensureTopics,
  validateAuditEvent,
  type AuditEventV1,
} from "@warden/shared";
import { TENANTS } from "@warden/simulator";
import { readTopic } from "./support/kafka.js";
import { kafkaConfig, testLogger, uniqueNames } from "./support/stack.js";

// `warden simulate` as a person runs it: the built CLI, its files, the real broker, a real ingest.

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function warden(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Exit> {
  const child = spawn(process.execPath, ["cli/dist/main.js", ...args], {
    env: { ...process.env, WARDEN_LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
}

interface Label {
  readonly id: string;
  readonly class: "attack" | "benign";
  readonly kind: string;
  readonly agent_id: string;
  readonly start: string;
  readonly end: string;
  readonly event_count: number;
  readonly event_ids: readonly string[];
  readonly event_ids_truncated: boolean;
  readonly credential_ids: readonly string[];
  readonly related_agent_ids: readonly string[];
  readonly source_ips: readonly string[];
}

const ndjson = <T>(text: string): T[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);

const SMALL_RUN = [
  "--seed",
  "11",
  "--agents",
  "200",
  "--days",
  "4",
  "--scale",
  "0.5",
  "--start",
  "2026-11-02T00:00:00Z",
];

describe("warden simulate to files", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-simulate-"));
  let events: AuditEventV1[] = [];
  let labels: Label[] = [];
  // The same run again (gzip, --json) and with another seed, for the determinism test:
  // three independent processes, run at once.
  let again: Exit;
  let other: Exit;

  beforeAll(async () => {
    let plain: Exit;
    [plain, again, other] = await Promise.all([
      warden(["simulate", ...SMALL_RUN, "--out", join(dir, "a.ndjson")]),
      warden([
        "simulate",
        ...SMALL_RUN,
        "--out",
        join(dir, "b.ndjson.gz"),
        "--json",
      ]),
      warden([
        "simulate",
        ...SMALL_RUN.slice(2),
        "--seed",
        "12",
        "--out",
        join(dir, "c.ndjson"),
      ]),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    events = ndjson<AuditEventV1>(readFileSync(join(dir, "a.ndjson"), "utf8"));
    labels = ndjson<Label>(readFileSync(join(dir, "a.labels.ndjson"), "utf8"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the same bytes for the same seed (gzip too) and other bytes for another seed", () => {
    expect(again.code, again.stderr).toBe(0);
    expect(
      gunzipSync(readFileSync(join(dir, "b.ndjson.gz"))).equals(
        readFileSync(join(dir, "a.ndjson")),
      ),
    ).toBe(true);
    expect(readFileSync(join(dir, "b.labels.ndjson"))).toEqual(
      readFileSync(join(dir, "a.labels.ndjson")),
    );
    const summary = JSON.parse(again.stdout) as {
      events: number;
      labels: unknown[];
    };
    expect(summary.events).toBe(events.length);
    expect(other.code, other.stderr).toBe(0);
    expect(
      readFileSync(join(dir, "c.ndjson")).equals(
        readFileSync(join(dir, "a.ndjson")),
      ),
    ).toBe(false);
  });

  it("writes only valid audit events, in event-time order", () => {
    expect(events.length).toBeGreaterThan(30_000);
    let previous = "";
    for (const event of events) {
      const validation = validateAuditEvent(event);
      expect(validation.ok, JSON.stringify(validation)).toBe(true);
      expect(event.time >= previous).toBe(true);
      previous = event.time;
    }
  });

  it("labels every attack and trap, and the labelled events are in the data where the labels say", () => {
    expect(labels.map((label) => label.kind).sort()).toEqual(
      [
        "brand_new_agent",
        "bulk_export",
        "control_plane_persistence",
        "counterparty_hijack",
        "credential_rotation",
        "credential_sharing",
        "delegation_abuse",
        "denied_call_probing",
        "dormant_reactivation",
        "dormant_return",
        "first_deploy",
        "gradual_growth",
        "hotfix_deploy",
        "llm_spend_spike",
        "long_llm_job",
        "network_move",
        "new_identity_burst",
        "nightly_batch",
        "novel_sensitive_access",
        "off_hours",
        "privilege_escalation",
        "runaway_loop",
        "sequence_hijack",
        "slow_exfiltration",
        "stolen_workload_credentials",
        "weekly_report_spike",
      ].sort(),
    );
    const byId = new Map(events.map((event) => [event.event_id, event]));
    for (const label of labels) {
      expect(label.event_count, label.kind).toBeGreaterThan(0);
      if (!label.event_ids_truncated)
        expect(label.event_ids).toHaveLength(label.event_count);
      for (const id of label.event_ids) {
        const event = byId.get(id);
        expect(event, `${label.kind} names ${id}`).toBeDefined();
        expect(
          event && event.time >= label.start && event.time < label.end,
        ).toBe(true);
        if (label.kind !== "credential_sharing")
          expect(event?.agent.id).toBe(label.agent_id);
      }
    }
  });

  const labelled = (kind: string): { label: Label; events: AuditEventV1[] } => {
    const label = labels.find((candidate) => candidate.kind === kind);
    if (!label) throw new Error(`no ${kind} label`);
    const ids = new Set(label.event_ids);
    return { label, events: events.filter((event) => ids.has(event.event_id)) };
  };
  const hours = (from: string, to: string): number =>
    (Date.parse(to) - Date.parse(from)) / 3_600_000;

  it("runaway loop: the agent's call rate in the window far exceeds its normal rate", () => {
    const { label } = labelled("runaway_loop");
    const own = events.filter((event) => event.agent.id === label.agent_id);
    const inside = own.filter(
      (event) => event.time >= label.start && event.time < label.end,
    ).length;
    const outside = own.length - inside;
    const windowHours = hours(label.start, label.end);
    const normalPerHour = outside / (4 * 24 - windowHours);
    expect(inside / windowHours).toBeGreaterThan(
      100 * Math.max(normalPerHour, 0.1),
    );
  });

  it("bulk export: large exports of restricted resources", () => {
    const { events: exported } = labelled("bulk_export");
    expect(
      exported.every(
        (event) =>
          event.action.verb === "export" &&
          event.resource?.sensitivity === "restricted",
      ),
    ).toBe(true);
    expect(
      exported.reduce((sum, event) => sum + (event.bytes_out ?? 0), 0),
    ).toBeGreaterThan(100e6);
  });

  it("credential sharing: one credential used from many addresses by several agent ids", () => {
    const { label, events: shared } = labelled("credential_sharing");
    const credentials = new Set(shared.map((event) => event.credential.id));
    expect(credentials).toEqual(new Set(label.credential_ids));
    // The victim's own use of those credentials comes from its own few addresses.
    const own = events.filter(
      (event) =>
        event.agent.id === label.agent_id &&
        !label.event_ids.includes(event.event_id),
    );
    expect(
      new Set(own.map((event) => event.source?.ip)).size,
    ).toBeLessThanOrEqual(6);
    expect(
      new Set(shared.map((event) => event.source?.ip)).size,
    ).toBeGreaterThanOrEqual(10);
    expect(
      new Set(shared.map((event) => event.agent.id)).size,
    ).toBeGreaterThanOrEqual(3);
    expect(label.related_agent_ids.length).toBeGreaterThanOrEqual(2);
  });

  it("denied-call probing is mostly refused; off-hours activity is at night", () => {
    const probes = labelled("denied_call_probing").events;
    expect(
      probes.filter((event) => event.outcome === "denied").length /
        probes.length,
    ).toBeGreaterThan(0.75);
    for (const event of labelled("off_hours").events)
      expect(new Date(event.time).getUTCHours()).toBeLessThan(4);
  });

  it("a nightly batch trap is the job's own scheduled run: busy inside the window, near silent outside", () => {
    const { label } = labelled("nightly_batch");
    const own = events.filter((event) => event.agent.id === label.agent_id);
    const inside = own.filter(
      (event) => event.time >= label.start && event.time < label.end,
    ).length;
    expect(inside).toBe(label.event_count);
    // Outside its kind's run hours (00:00-05:00 UTC, where the other nights' runs fall).
    const daytime = own.filter(
      (event) => new Date(event.time).getUTCHours() >= 5,
    ).length;
    expect(inside / hours(label.start, label.end)).toBeGreaterThan(
      50 * (daytime / (4 * 19)),
    );
  });

  it("refuses contradictory options with exit code 2 and says why", async () => {
    const both = await warden([
      "simulate",
      "--kafka",
      "--out",
      join(dir, "x.ndjson"),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("exactly one output");
    const unknown = await warden([
      "simulate",
      "--out",
      join(dir, "x.ndjson"),
      "--attacks",
      "sql_injection",
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown kind");
  });
});

describe("warden simulate --kafka", () => {
  it("produces every event to the namespaced audit topic, keyed by agent id, the same as to a file", async () => {
    const names = uniqueNames("simulate");
    const namespace = names.groups.ingest.replace(/-warden-ingest$/, "");
    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    await admin.disconnect();
    const dir = mkdtempSync(join(tmpdir(), "warden-simulate-kafka-"));
    const run = [
      "--seed",
      "5",
      "--agents",
      "60",
      "--days",
      "1",
      "--start",
      "2026-11-02T00:00:00Z",
      "--events",
      "2000",
    ];
    const attacks = [
      "--attacks",
      "credential_sharing,bulk_export",
      "--traps",
      "none",
      "--learning",
      "0.5",
    ];
    const produced = await warden(
      ["simulate", ...run, ...attacks, "--kafka", "--json"],
      { WARDEN_NAMESPACE: namespace },
    );
    expect(produced.code, produced.stderr).toBe(0);
    const summary = JSON.parse(produced.stdout) as {
      events: number;
      output: string;
    };
    expect(summary.output).toContain(names.topics.audit);
    const filed = await warden([
      "simulate",
      ...run,
      ...attacks,
      "--out",
      join(dir, "same.ndjson"),
    ]);
    expect(filed.code, filed.stderr).toBe(0);
    const fileLines = readFileSync(join(dir, "same.ndjson"), "utf8")
      .split("\n")
      .filter((line) => line !== "");
    rmSync(dir, { recursive: true, force: true });

    const messages = await readTopic(kafka, names.topics.audit, summary.events);
    expect(messages).toHaveLength(summary.events);
    const values = messages.map((message) => message.value?.toString() ?? "");
    expect([...values].sort()).toEqual([...fileLines].sort());
    for (const message of messages) {
      const event = JSON.parse(
        message.value?.toString() ?? "{}",
      ) as AuditEventV1;
      expect(message.key?.toString()).toBe(event.agent.id);
    }
  });
});

describe("warden simulate --http", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-simulate-http-"));
  const token = randomBytes(16).toString("hex");
  let port = 0;
  let stopServer: () => Promise<void> = () => Promise.resolve();
  // The all-in-one's read routes answer a gateway token.
  const count = () =>
    fetch(`http://127.0.0.1:${port}/v1/events/count`, {
      headers: { authorization: `Bearer ${token}-${TENANTS[0]}` },
    });

  beforeAll(async () => {
    port = await freePort();
    const server = spawn(
      process.execPath,
      ["cli/dist/main.js", "start", "--port", String(port)],
      {
        env: {
          ...process.env,
          CHDB_PATH: join(dir, "chdb"),
          WARDEN_LOG_LEVEL: "warn",
          // This test is about HTTP acceptance: a baseline refresh every 5 min of event time
          // would be ~290 chDB refreshes over the simulated day (80 s of the test's 120).
          BASELINE_REFRESH_INTERVAL: "6h",
          INGEST_GATEWAY_TOKENS: TENANTS.map(
            (tenant) =>
              `simulator-${tenant}:${createHash("sha256").update(`${token}-${tenant}`).digest("hex")}:${tenant}`,
          ).join(","),
        },
      },
    );
    let output = "";
    server.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    stopServer = () =>
      new Promise((resolve) => {
        server.on("exit", () => resolve());
        server.kill("SIGTERM");
      });
    await waitFor(
      async () => (await count()).ok,
      () => output,
    );
  });
  afterAll(async () => {
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it("posts NDJSON batches with the bearer token, and the all-in-one accepts every event", async () => {
    const before = (await (await count()).json()) as { events: number };
    const posted = await warden(
      [
        "simulate",
        "--seed",
        "8",
        "--agents",
        "40",
        "--days",
        "1",
        "--start",
        "2026-11-02T00:00:00Z",
        "--events",
        "1500",
        "--attacks",
        "bulk_export",
        "--traps",
        "none",
        "--batch",
        "200",
        "--http",
        `http://127.0.0.1:${port}/v1/events`,
        "--json",
      ],
      {
        WARDEN_SIMULATE_HTTP_TOKENS: TENANTS.map(
          (tenant) => `${tenant}=${token}-${tenant}`,
        ).join(","),
      },
    );
    expect(posted.code, posted.stderr).toBe(0);
    const summary = JSON.parse(posted.stdout) as {
      events: number;
      rejected: number;
    };
    expect(summary.rejected).toBe(0);
    const after = (await (await count()).json()) as { events: number };
    expect(Number(after.events) - Number(before.events)).toBe(summary.events);
  });

  it("stops with a clear error when the token is refused", async () => {
    const refused = await warden(
      [
        "simulate",
        "--agents",
        "5",
        "--days",
        "1",
        "--start",
        "2026-11-02T00:00:00Z",
        "--events",
        "50",
        "--http",
        `http://127.0.0.1:${port}/v1/events`,
      ],
      { WARDEN_SIMULATE_HTTP_TOKEN: "not-the-token" },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered 401/);
    expect(refused.stderr).not.toContain("not-the-token");
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address ? address.port : 0),
      );
    });
  });
}

async function waitFor(
  ready: () => Promise<boolean>,
  output: () => string,
): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the all-in-one did not come up: ${output()}`);
}
