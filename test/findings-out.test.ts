import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { startHecReceiver, type HecReceiver } from "./support/hec-receiver.js";
import { ocsfValidator } from "./support/ocsf.js";
import { eventually } from "./support/service.js";

const HEC_TOKEN = "11111111-2222-3333-4444-555555555555";

// `warden start` with a Splunk HEC sink (busy once, so the finding is retried) and a JSON
// webhook that refuses (so the finding is dead-lettered): every decision leaves as OCSF.
describe("OCSF findings to a SIEM (all-in-one)", () => {
  let dataDir: string;
  let hec: HecReceiver;
  let refuser: Server;
  let warden: WardenProcess;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-findings-"));
    hec = await startHecReceiver(HEC_TOKEN, 1);
    refuser = createServer((_request, response) =>
      response.writeHead(400).end("no"),
    );
    await new Promise<void>((resolve) =>
      refuser.listen(0, "127.0.0.1", resolve),
    );
    const refuserUrl = `http://127.0.0.1:${(refuser.address() as AddressInfo).port}/findings`;
    warden = runWarden(["start", "--port", "0"], {
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      WARDEN_FINDING_SINKS: JSON.stringify([
        {
          id: "splunk",
          type: "splunk_hec",
          url: hec.url,
          token: HEC_TOKEN,
          index: "security",
        },
        {
          id: "siem-webhook",
          type: "ocsf_webhook",
          url: refuserUrl,
          secret: "whsec",
        },
      ]),
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    warden.child.kill("SIGKILL");
    await hec.close();
    await new Promise<void>((resolve) => refuser.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers a revoke decision to HEC in HEC's format after a retry, OCSF-valid, and dead-letters what the webhook refuses", async () => {
    const start = Date.now();
    const burst = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify({
        schema: "agent-audit/v1",
        event_id: `burst-${randomUUID()}`,
        time: new Date(start + i * 20).toISOString(),
        tenant: "acme",
        agent: { id: "agent:runaway/9", kind: "report-job" },
        credential: { id: "key_demo_9", type: "api_key" },
        action: { name: "crm.contacts.export", verb: "export" },
        outcome: "success",
      }),
    ).join("\n");
    const posted = await fetch(`${baseUrl}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: burst,
    });
    expect(posted.status).toBe(202);
    const [delivered] = await eventually("a finding at HEC", () =>
      Promise.resolve(hec.events.length > 0 ? hec.events : undefined),
    );
    expect(hec.refusals).toEqual(["Server is busy"]);
    expect(delivered).toMatchObject({
      source: "warden",
      sourcetype: "ocsf:detection_finding",
      index: "security",
    });
    const finding = delivered?.["event"] as Record<string, unknown>;
    const validate = ocsfValidator();
    expect(validate(finding), JSON.stringify(validate.errors)).toBe(true);
    expect(finding).toMatchObject({
      class_uid: 2004,
      disposition_id: 24,
      metadata: { tenant_uid: "acme" },
    });
    expect(delivered?.["time"]).toBe((finding["time"] as number) / 1000);
    await eventually("the refused finding dead-lettered", async () => {
      // A kept-alive socket the server closed while HEC's retry ran (seconds on a loaded
      // machine) fails one fetch with "other side closed": the next probe opens a new one.
      const response = await fetch(`${baseUrl}/v1/dead-letters/count`).catch(
        () => undefined,
      );
      const counts = (await response?.json()) as
        Record<string, number> | undefined;
      return counts?.["finding_undelivered"] === 1 ? true : undefined;
    });
  });
});
