import type { Logger } from "./logger.js";
import { describeError } from "./errors.js";

/**
 * Graceful stop as a small state machine: running → stopping → stopped. Steps run in
 * the order they were registered (register in start-up order: intake first, clients
 * last), each awaited; if the whole sequence outlives the deadline the process exits
 * with code 1 (force). `stop()` is idempotent and returns the same promise every time.
 */
export interface Shutdown {
  /** Adds a step; steps run sequentially in registration order. */
  add(name: string, step: () => Promise<void> | void): void;
  /** Aborted when stopping begins, so loops and retries can end early. */
  readonly signal: AbortSignal;
  readonly state: "running" | "stopping" | "stopped";
  stop(reason: string): Promise<void>;
  /** Calls stop on SIGTERM and SIGINT, then exits the process. */
  installSignalHandlers(): void;
}

export function createShutdown(options: {
  readonly logger: Logger;
  readonly deadlineMs: number;
  /** Replaced in tests; exits the process by default. */
  readonly exit?: (code: number) => void;
}): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let state: Shutdown["state"] = "running";
  let stopping: Promise<void> | undefined;

  async function runSteps(): Promise<boolean> {
    let clean = true;
    for (const { name, step } of steps) {
      try {
        await step();
      } catch (error) {
        clean = false;
        options.logger.error(
          { step: name, error: describeError(error) },
          "shutdown step failed",
        );
      }
    }
    return clean;
  }

  function stop(reason: string): Promise<void> {
    if (stopping) return stopping;
    state = "stopping";
    options.logger.info({ reason, deadlineMs: options.deadlineMs }, "stopping");
    controller.abort(new Error(`stopping: ${reason}`));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), options.deadlineMs);
      timer.unref();
    });
    stopping = Promise.race([runSteps(), deadline]).then((outcome) => {
      clearTimeout(timer);
      state = "stopped";
      if (outcome === "deadline") {
        options.logger.error(
          { deadlineMs: options.deadlineMs },
          "graceful stop exceeded its deadline; forcing exit",
        );
        options.logger.flush();
        exit(1);
      } else {
        options.logger.info({ clean: outcome }, "stopped");
        options.logger.flush();
      }
    });
    return stopping;
  }

  return {
    add(name, step) {
      steps.push({ name, step });
    },
    signal: controller.signal,
    get state() {
      return state;
    },
    stop,
    installSignalHandlers() {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.once(signal, () => {
          void stop(signal).then(() => exit(0));
        });
      }
    },
  };
}
