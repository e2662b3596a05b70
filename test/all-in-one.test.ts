import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

// The README's first command, as a person would run it: the built `warden start --demo`.
describe("warden start --demo (all-in-one, embedded chDB)", () => {
  it("ingests over HTTP, rejects the bad examples with reasons, stores events and revokes the runaway agent", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "warden-demo-"));
    const child = spawn(
      process.execPath,
      ["cli/dist/main.js", "start", "--demo", "--port", "0"],
      {
        env: { ...process.env, CHDB_PATH: dataDir, WARDEN_LOG_LEVEL: "warn" },
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.on("exit", resolve),
    );
    rmSync(dataDir, { recursive: true, force: true });
    expect(code, output).toBe(0);
    expect(output).toContain("example events: 3 accepted, 0 rejected");
    expect(output).toContain("bad examples: 0 accepted, 7 rejected");
    expect(output).toContain("rejected unsupported_schema_version");
    expect(output).toContain(
      "decision: revoke agent:runaway/1 — 101 calls in 10 s",
    );
    expect(output).toContain("events stored in embedded ClickHouse: 153");
  });
});
