import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import type { Page } from "playwright-core";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  type WardenNames,
} from "@warden/shared";
import { launchBrowser, type TestBrowser } from "./support/browser.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";
import {
  startPushReceiver,
  type PushReceiver,
} from "./support/ssf-receiver.js";
import { until } from "./support/ssf-client.js";
import { cleanUpNats, sha256Hex } from "./support/ssf-revoker.js";
import {
  kafkaConfig,
  natsConfig,
  testLogger,
  uniqueNames,
} from "./support/stack.js";

// The SOC console (issue 19) over the four services in cluster mode, driven in Debian's
// Chromium: an incident is raised by real traffic, held for approval, approved and undone in
// the browser, and every page is photographed: into docs/console/ when
// WARDEN_UPDATE_SCREENSHOTS=1 (how the committed screenshots are refreshed), otherwise into
// .warden/console-screenshots/ so a test run leaves the working tree clean.
const ADMIN_TOKEN = "soc-admin-token";
const QUERY_TOKEN = "soc-query-token";
const SHOTS =
  process.env["WARDEN_UPDATE_SCREENSHOTS"] === "1"
    ? join(process.cwd(), "docs", "console")
    : join(process.cwd(), ".warden", "console-screenshots");
const OWNER = "alice@acme.example";
const DETECTOR_SETTINGS = {
  DETECTOR_BURST_MAX_CALLS: "5",
  DETECTOR_BURST_WINDOW: "10s",
};
const HOSTILE_ID = `<img src=x onerror="window.__pwned=1">"'&amp;<script>window.__pwned=2</script>`;

interface Decision {
  decision_id: string;
  reasons: { summary: string; score: number }[];
}

describe("the SOC console in a browser", () => {
  const names: WardenNames = uniqueNames("console");
  const namespace = names.groups.ingest.replace(/-warden-ingest$/, "");
  const dataDir = mkdtempSync(join(tmpdir(), "warden-console-"));
  const suffix = randomUUID().slice(0, 8);
  const agentId = `console-worker-${suffix}`;
  const planner = `planner-${suffix}`;
  const services: RunningService[] = [];
  const problems: string[] = [];
  let receiver: PushReceiver;
  let browser: TestBrowser;
  let page: Page;
  let base = "";
  let queryApi = "";
  const describeAll = () =>
    services.map((service) => service.output()).join("\n");

  async function query<T>(path: string): Promise<T> {
    const response = await fetch(`${queryApi}${path}`, {
      headers: { authorization: `Bearer ${QUERY_TOKEN}` },
    });
    return (await response.json()) as T;
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const kafka = createKafka({ config: kafkaConfig, logger: testLogger });
    const admin = await connectAdmin(kafka, kafkaConfig);
    await ensureTopics(admin, names);
    await admin.disconnect();
    const nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "console-test",
    });
    await ensureDecisionsStream(await nats.jetstreamManager(), names);
    await nats.drain();

    receiver = await startPushReceiver();
    const revokerPort = await freePort();
    const apiPort = await freePort();
    base = `http://127.0.0.1:${revokerPort}`;
    queryApi = `http://127.0.0.1:${apiPort}`;
    const common = { WARDEN_NAMESPACE: namespace, WARDEN_OPS_PORT: "0" };
    services.push(
      startService("services/ingest/dist/main.js", common),
      startService("services/baseline/dist/main.js", {
        ...common,
        CHDB_PATH: join(dataDir, "chdb"),
        BASELINE_API_PORT: String(apiPort),
        BASELINE_API_TOKEN: QUERY_TOKEN,
        BASELINE_API_CORS_ORIGINS: base,
        BASELINE_SINK_FLUSH_DELAY: "50ms",
        // Baselines (the chart's band) from the traffic of the test itself.
        BASELINE_REFRESH_INTERVAL: "5s",
        // What-if scores with the detector's settings: the same variables as the detector's.
        ...DETECTOR_SETTINGS,
      }),
      startService("services/detector/dist/main.js", {
        ...common,
        ...DETECTOR_SETTINGS,
      }),
      startService("services/revoker/dist/main.js", {
        ...common,
        REVOKER_ISSUER: base,
        REVOKER_HTTP_PORT: String(revokerPort),
        REVOKER_SIGNING_KEY_FILE: join(dataDir, "signing-key.json"),
        REVOKER_PUSH_URL: receiver.url,
        REVOKER_PUSH_EVENTS: "session-revoked,account-enabled",
        REVOKER_RECEIVERS: JSON.stringify([
          {
            id: "soc",
            tenant: "*",
            token_sha256: sha256Hex(ADMIN_TOKEN),
            scopes: ["warden.admin"],
          },
        ]),
        REVOKER_APPROVAL_AGENTS: "acme/console-worker-*",
        REVOKER_APPROVAL_TIMEOUT: "30m",
        REVOKER_APPROVAL_DEFAULT: "deny",
        REVOKER_CONSOLE_QUERY_API: queryApi,
      }),
    );
    await eventually(
      "the revoker and the query API",
      async () => {
        const up = await Promise.all([
          fetch(`${base}/console/`).then(
            (r) => r.ok,
            () => false,
          ),
          fetch(`${queryApi}/v1/incidents`, {
            headers: { authorization: `Bearer ${QUERY_TOKEN}` },
          }).then(
            (r) => r.ok,
            () => false,
          ),
        ]);
        return up.every(Boolean) ? true : undefined;
      },
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describeAll()}`);
    });

    browser = await launchBrowser();
    page = await browser.context.newPage();
    // The strict policy must cost the page nothing: any CSP or Trusted Types report fails the test.
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(String(error)));
    page.on("dialog", (dialog) => {
      problems.push(`unexpected dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });

    // Forty minutes of the worker's usual pace (1–3 calls a minute, which the baseline learns
    // and the chart draws as its band), then a loop by the worker (planner → worker, for
    // Alice) and one by an agent whose id is markup: both cross the burst limit within a second.
    const producer = kafka.producer();
    await producer.connect();
    const start = Date.now();
    const event = (id: string, delegation: string[], timeMs: number) => ({
      key: id,
      value: JSON.stringify({
        schema: "agent-audit/v1",
        event_id: `console-${randomUUID()}`,
        time: new Date(timeMs).toISOString(),
        tenant: "acme",
        agent: { id, kind: "report-job", owner: OWNER },
        on_behalf_of: OWNER,
        delegation,
        credential: { id: `key-${suffix}`, type: "api_key" },
        action: { name: "crm.contacts.export", verb: "export" },
        resource: {
          id: "crm:contacts",
          type: "crm.contact",
          sensitivity: "restricted",
        },
        source: { ip: "203.0.113.7", gateway: "gw-1" },
        outcome: "success",
        bytes_out: 1000,
      }),
    });
    const usual = Array.from({ length: 40 }, (_, minute) =>
      Array.from({ length: 1 + (minute % 3) }, (_, call) =>
        event(
          agentId,
          [planner, agentId],
          start - (40 - minute) * 60_000 + call * 15_000,
        ),
      ),
    ).flat();
    const burst = (id: string, delegation: string[]) =>
      // 20 calls in a second: over the limit without a baseline (5) and with one (16).
      Array.from({ length: 20 }, (_, i) =>
        event(id, delegation, start + i * 50),
      );
    await producer.send({
      topic: names.topics.audit,
      messages: [
        ...usual,
        ...burst(agentId, [planner, agentId]),
        ...burst(HOSTILE_ID, [HOSTILE_ID]),
      ],
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await browser?.close();
    for (const service of services) await service.stop();
    await receiver?.close();
    const nats = await connectNats({
      config: natsConfig,
      logger: testLogger,
      name: "console-cleanup",
    });
    await cleanUpNats(nats, names);
    await nats.drain();
    const admin = await connectAdmin(
      createKafka({ config: kafkaConfig, logger: testLogger }),
      kafkaConfig,
    );
    await admin
      .deleteTopics({ topics: Object.values(names.topics) })
      .catch(() => undefined);
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const agentLink = (id: string) =>
    page.locator("td.agent a").filter({ hasText: id }).first();

  it("opens an incident, approves the held revocation, sees the SET delivered and reinstates", async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByLabel("Query API token").fill(QUERY_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();

    // Live updates: the incident appears without a reload once the detector has decided.
    await agentLink(agentId).waitFor({ timeout: 90_000 });
    const row = page.locator("tr", { has: agentLink(agentId) });
    await row.getByText("awaiting approval").waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-label="Owner"]').textContent()).toBe(
      OWNER,
    );
    await agentLink(HOSTILE_ID).waitFor({ timeout: 30_000 });
    await shot("incidents");

    const [decision] = (
      await query<{ decisions: Decision[] }>(
        `/v1/agents/acme/${encodeURIComponent(agentId)}/decisions`,
      )
    ).decisions;
    expect(decision).toBeDefined();
    const strongest = [...(decision?.reasons ?? [])].sort(
      (a, b) => b.score - a.score,
    )[0];

    await agentLink(agentId).click();
    await page.getByRole("heading", { name: agentId }).waitFor();
    const sentence = page.getByTestId("sentence");
    await sentence.waitFor();
    expect(await sentence.textContent()).toContain(strongest?.summary);
    expect(await page.locator("ol.chain li").allTextContents()).toEqual([
      agentId,
      planner,
      OWNER,
    ]);
    await page.locator(".used code", { hasText: `key-${suffix}` }).waitFor();
    await page.locator(".used code", { hasText: "203.0.113.7" }).waitFor();
    await page.locator(".pending").getByText("left").waitFor();
    // The band appears once a baseline refresh has taken in the usual pace.
    await page
      .locator(".chart figcaption")
      .getByText(/shaded band/)
      .waitFor({ timeout: 90_000 });
    await page.locator(".heading").getByText("awaiting approval").waitFor();
    await shot("incident");

    await page.getByRole("link", { name: /Approvals/ }).click();
    const pendingRow = page.locator("tr", { has: agentLink(agentId) });
    await pendingRow.getByText("denied: nothing is sent").waitFor();
    expect(await pendingRow.locator(".countdown").textContent()).toMatch(
      /left$/,
    );
    await shot("approvals");

    await agentLink(agentId).click();
    await page.getByRole("button", { name: "Approve revocation" }).click();
    const dialog = page.getByRole("dialog");
    await dialog
      .getByLabel(/Reason/)
      .fill("Confirmed with Alice: runaway export loop");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("status").getByText("Revocation approved.").waitFor();

    const revoked = await eventually("the approved SET at the receiver", () =>
      Promise.resolve(
        receiver.accepted.find(
          (set) =>
            decodeJwt(set.jwt)["txn"] === decision?.decision_id &&
            set.eventType.endsWith("/session-revoked"),
        ),
      ),
    );
    // The operator's all-tenant stream names the agent under its tenant's issuer.
    expect(decodeJwt(revoked.jwt)["sub_id"]).toMatchObject({
      format: "iss_sub",
      sub: agentId,
    });
    const deliveries = page.getByTestId("deliveries");
    await deliveries
      .locator("tr", { hasText: "session-revoked" })
      .getByText("delivered")
      .waitFor({ timeout: 30_000 });
    await page
      .locator("ol.trail")
      .getByText(/approved by soc: Confirmed with Alice: runaway export loop/)
      .first()
      .waitFor({ timeout: 30_000 });
    await shot("incident-approved");

    await page.getByRole("button", { name: "Reinstate" }).click();
    await dialog
      .getByLabel(/Reason/)
      .fill("Loop fixed, owner asked to restore");
    await dialog.getByRole("button", { name: "Reinstate" }).click();
    await until("the reinstatement SET", () =>
      receiver.accepted.some(
        (set) =>
          set.eventType.endsWith("/account-enabled") &&
          (decodeJwt(set.jwt)["sub_id"] as { sub?: string }).sub === agentId,
      ),
    );
    await page
      .locator(".heading")
      .getByText("reinstated")
      .waitFor({ timeout: 30_000 });
    await deliveries
      .locator("tr", { hasText: "account-enabled" })
      .getByText("delivered")
      .waitFor({ timeout: 30_000 });

    await page.setViewportSize({ width: 390, height: 844 });
    await shot("incident-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("link", { name: "Receivers" }).click();
    const stream = page.locator("tr", { hasText: "static-push" });
    await stream.getByText("enabled").waitFor();
    await stream.locator(".verified").getByText("never verified").waitFor();
    await eventually("two deliveries counted", async () =>
      Number(
        await stream.locator('td[data-label="Delivered (24 h)"]').textContent(),
      ) >= 2
        ? true
        : undefined,
    );
    await shot("receivers");
    await stream.getByRole("button", { name: "Send verification" }).click();
    await page
      .getByRole("status")
      .getByText(/Verification event queued for stream static-push/)
      .waitFor();
    await until("the verification SET", () =>
      receiver.accepted.some((set) => set.eventType.endsWith("/verification")),
    );
    // Accepted by the receiver: the page shows when, from GET /admin/streams.
    await stream
      .locator(".verified")
      .getByText(/^verified (just now|.* ago)$/)
      .waitFor({ timeout: 15_000 });

    // Back on the incident list, the reinstated incident is closed.
    await page.getByRole("link", { name: "Incidents" }).click();
    await agentLink(HOSTILE_ID).waitFor();
    await eventually("the incident closed", async () =>
      (await agentLink(agentId).count()) === 0 ? true : undefined,
    );
    expect(problems).toEqual([]);
  });

  it("runs a changed policy over the stored events on the what-if page", async () => {
    await page.getByRole("link", { name: "What-if" }).click();
    const editor = page.getByLabel("Proposed policy (JSON)");
    await editor.waitFor();
    // Pre-filled with the policy in force (the built-in default here).
    const current = JSON.parse(await editor.inputValue()) as {
      version: number;
      denyRules: unknown[];
    };
    expect(current).toMatchObject({ version: 2, denyRules: [] });

    // Not JSON: refused in the page, nothing sent.
    await editor.fill("{ not json");
    await page.getByRole("button", { name: "Run what-if" }).click();
    await page
      .getByRole("alert")
      .getByText(/Not run: not JSON/)
      .waitFor();
    // Valid JSON the policy schema refuses: the query API's precise reason is shown.
    await editor.fill(JSON.stringify({ version: 2, budget: 1 }));
    await page.getByRole("button", { name: "Run what-if" }).click();
    await page
      .getByRole("alert")
      .getByText(/Not run: policy: .*additional properties/)
      .waitFor();
    // The browser logs the refused request; that one is expected, nothing else is.
    const refusal = problems.findIndex((problem) =>
      problem.includes("status of 400"),
    );
    expect(refusal).toBeGreaterThanOrEqual(0);
    problems.splice(refusal, 1);

    // A deny rule on the worker's usual export: over the stored hour, decisions appear that
    // the policy in force never made. Typed and run from the keyboard.
    const proposed = {
      ...current,
      denyRules: [
        {
          id: "no-contact-exports",
          agent: agentId,
          actions: ["crm.contacts.export"],
        },
      ],
    };
    await editor.fill(JSON.stringify(proposed, null, 2));
    await page.getByLabel("Hours of stored events").fill("2");
    await page.getByLabel("Hours of stored events").press("Enter");
    const result = page.getByTestId("what-if-result");
    await result.waitFor({ timeout: 60_000 });
    const appeared = result.locator("tr", {
      has: page.locator("td.agent a", { hasText: agentId }),
      hasText: "appeared",
    });
    await appeared
      .first()
      .getByText(/matches deny rule no-contact-exports/)
      .waitFor();
    expect(await result.getByRole("status").textContent()).toMatch(
      /stored events from .*[1-9]\d* would appear/,
    );
    await shot("what-if");

    // The same answer from the documented API, as a program sees it.
    const response = await fetch(`${queryApi}/v1/what-if`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${QUERY_TOKEN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ policy: proposed, hours: 2, tenant: "acme" }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      complete: boolean;
      decisions: { current: number; proposed: number };
      counts: { appeared: number; disappeared: number; changed: number };
      appeared: { agent_id: string; reasons: { detector: string }[] }[];
    };
    expect(answer.complete).toBe(true);
    // The policy in force revoked the worker's loop on these events.
    expect(answer.decisions.current).toBeGreaterThanOrEqual(1);
    expect(
      answer.appeared.some(
        (decision) =>
          decision.agent_id === agentId &&
          decision.reasons.some((reason) => reason.detector === "deny_rule"),
      ),
    ).toBe(true);
    // The page showed every difference the API reports (deterministic over the same events).
    const { appeared: a, disappeared: d, changed: c } = answer.counts;
    expect(await result.locator("tbody tr").count()).toBe(a + d + c);
    expect(problems).toEqual([]);
  });

  it("refuses cross-site state changes and lets no other origin read the query API", async () => {
    const revoke = (headers: Record<string, string>) =>
      fetch(`${base}/admin/revoke`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          "content-type": "application/json",
          ...headers,
        },
        body: JSON.stringify({
          tenant: "acme",
          agent_id: "csrf-victim",
          reason: "forged",
        }),
      });
    expect((await revoke({ origin: "https://evil.example" })).status).toBe(403);
    expect((await revoke({ "sec-fetch-site": "cross-site" })).status).toBe(403);
    const preflight = (origin: string) =>
      fetch(`${queryApi}/v1/incidents`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
    expect(
      (await preflight(base)).headers.get("access-control-allow-origin"),
    ).toBe(base);
    expect(
      (await preflight("https://evil.example")).headers.get(
        "access-control-allow-origin",
      ),
    ).toBeNull();
    const whatIf = (headers: Record<string, string>, body: unknown) =>
      fetch(`${queryApi}/v1/what-if`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${QUERY_TOKEN}`,
          "content-type": "application/json",
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const policy = { version: 2 };
    expect(
      (await whatIf({ origin: "https://evil.example" }, { policy })).status,
    ).toBe(403);
    expect(
      (await whatIf({ "sec-fetch-site": "cross-site" }, { policy })).status,
    ).toBe(403);
    expect((await whatIf({ origin: base }, { policy })).status).toBe(200);
    const tooLong = await whatIf({}, { policy, hours: 25 });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({
      error: "hours must be a whole number from 1 to 24",
    });
    const served = await fetch(`${base}/console/`);
    expect(served.headers.get("content-security-policy")).toContain(
      `connect-src 'self' ${queryApi}`,
    );
  });

  it("renders a hostile agent id as text", async () => {
    await page.goto(`${base}/console/incidents`);
    const link = agentLink(HOSTILE_ID);
    await link.waitFor({ timeout: 60_000 });
    expect(await link.textContent()).toBe(HOSTILE_ID);
    await link.click();
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      HOSTILE_ID,
    );
    await page.locator("ol.chain li").first().waitFor();
    await shot("hostile-agent");
    // Evaluated in the page (a string: the test's own types have no DOM).
    const executed: unknown = await page.evaluate(`({
      pwned: window.__pwned,
      images: document.querySelectorAll("img").length,
      scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
    })`);
    expect(executed).toEqual({ pwned: undefined, images: 0, scripts: 0 });
    expect(problems).toEqual([]);
  });
});
