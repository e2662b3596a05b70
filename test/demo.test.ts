import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";

// The README's first command, as a script would run it: the built `warden start --demo`.
describe("warden start --demo", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function demo(args: readonly string[]): WardenProcess {
    const dataDir = mkdtempSync(join(tmpdir(), "warden-demo-"));
    const warden = runWarden(["start", "--demo", "--port", "0", ...args], {
      CHDB_PATH: dataDir,
    });
    cleanups.push(() => {
      warden.child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });
    return warden;
  }

  it("revokes the runaway agent, whose SETs the demo receiver verifies, and exits 0 after --duration", async () => {
    const warden = demo([
      "--duration",
      "40",
      "--learning",
      "10",
      "--seed",
      "7",
    ]);
    const code = await warden.exited;
    const output = warden.output();
    expect(code, output).toBe(0);
    expect(output).toContain("contract examples: 3 accepted, 0 rejected");
    expect(output).toContain("bad examples: 0 accepted, 7 rejected");
    expect(output).toMatch(/^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    const runaway =
      /, (agent:\S+) \(tenant \S+\) goes into a runaway loop/.exec(output)?.[1];
    expect(runaway, output).toBeDefined();
    const escaped = (runaway ?? "").replace(/[/.*+?^${}()|[\]\\]/g, "\\$&");
    for (const event of ["session-revoked", "account-disabled"])
      expect(output).toMatch(
        new RegExp(
          `^SET verified  ${event}  subject ${escaped}  jti [0-9a-f]{32}  latency \\d+ ms$`,
          "m",
        ),
      );
    // The decision is printed with why: the burst detector's own sentence.
    expect(output).toMatch(
      new RegExp(
        `^decision revoke  ${escaped} \\(tenant \\S+\\)  risk \\d\\.\\d\\d  burst: \\d+ calls in 10 s`,
        "m",
      ),
    );
    // After learning, an agent with two days of history exports restricted data it never
    // touched: no absolute limit objects, its own baseline does, and the sentence says so.
    expect(output).toContain(
      "behavioural case: agent:payroll-reporter (tenant finance) has 2 days of history",
    );
    expect(output).toMatch(
      /^decision revoke {2}agent:payroll-reporter \(tenant finance\) {2}risk \d\.\d\d {2}.*restricted data.*the agent baseline/m,
    );
    expect(output).toMatch(
      /^SET verified {2}session-revoked {2}subject agent:payroll-reporter {2}/m,
    );
    expect(output).not.toContain("SET REFUSED");
    expect(output).toMatch(
      new RegExp(`^summary: runaway agent ${escaped} revoked — `, "m"),
    );
    // Not a terminal: plain progress lines instead of a redrawn block.
    expect(output).toMatch(/^\[00:\d\d\] events=\d+ rate=/m);
    expect(output).not.toContain("\u001b[");
  });

  it("stops cleanly on Ctrl-C (SIGINT), with its summary", async () => {
    const warden = demo([]);
    await warden.waitFor(/goes into a runaway loop/, 90_000);
    warden.child.kill("SIGINT");
    const code = await warden.exited;
    expect(code, warden.output()).toBe(0);
    expect(warden.output()).toMatch(/^summary: \d+ events accepted/m);
  });
});
