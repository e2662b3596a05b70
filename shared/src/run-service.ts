import { describeError } from "./errors.js";

/**
 * Runs a service's `main`; a start-up failure becomes one line naming the service and
 * the cause (never a stack trace alone), and exit code 1.
 */
export function runService(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`warden ${service}: ${describeError(error)}\n`);
    process.exit(1);
  });
}
