import { spawn, type ChildProcess } from "node:child_process";

/** The built `warden` CLI as a child process, its stdout and stderr kept together. */
export interface WardenProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

export function runWarden(
  args: readonly string[],
  env: Record<string, string>,
): WardenProcess {
  const child = spawn(process.execPath, ["cli/dist/main.js", ...args], {
    env: { ...process.env, ...env },
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (match) finish(() => resolve(match));
          else if (child.exitCode !== null)
            finish(() =>
              reject(new Error(`warden exited before ${pattern}:\n${output}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
