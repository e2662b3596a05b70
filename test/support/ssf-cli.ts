import { execFile } from "node:child_process";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `warden` CLI with extra environment; resolves with its exit code and output. */
export function runWarden(
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["cli/dist/main.js", ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code =
          error && typeof error.code === "number" ? error.code : error ? 1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
