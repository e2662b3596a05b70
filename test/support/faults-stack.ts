import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { linkKafkaJars } from "./auth-stack.js";

// The fault drills restart the brokers they run against. They get a stack of their own
// (deploy/local/stack with its own directory and ports), started by the `faults` project's
// global setup and stopped by its teardown, so they run beside the integration files without
// ever restarting the broker those use. Fixed ports and directory, so that .ci/run can stop
// it should vitest itself be killed; a fresh data directory each run, as on a clean clone.

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const KAFKA_PORT = 29092;
const NATS_PORT = 24222;

/**
 * The environment of the drills' processes: the stack script's variables (so `restartBroker`
 * restarts this stack) and the clients' (so the tests and the services they start use it).
 */
export const faultsStackEnv = {
  WARDEN_STACK_DIR: join(root, ".warden", "faults-stack"),
  WARDEN_STACK_KAFKA_PORT: String(KAFKA_PORT),
  WARDEN_STACK_KAFKA_CONTROLLER_PORT: String(KAFKA_PORT + 1),
  WARDEN_STACK_NATS_PORT: String(NATS_PORT),
  WARDEN_STACK_NATS_MONITOR_PORT: String(NATS_PORT + 1),
  KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORT}`,
  NATS_URL: `nats://127.0.0.1:${NATS_PORT}`,
} as const;

const execFileAsync = promisify(execFile);

async function stack(command: "up" | "down"): Promise<void> {
  try {
    await execFileAsync("bash", [join(root, "deploy/local/stack"), command], {
      env: { ...process.env, ...faultsStackEnv },
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as {
      stdout?: string;
      stderr?: string;
    };
    throw new Error(
      `the fault drills' stack (${faultsStackEnv.WARDEN_STACK_DIR}) failed to ${command}:\n${stdout}${stderr}`,
    );
  }
}

export async function setup(): Promise<void> {
  // A stack left running by a killed run is stopped before its directory goes.
  await stack("down");
  rmSync(faultsStackEnv.WARDEN_STACK_DIR, { recursive: true, force: true });
  linkKafkaJars(faultsStackEnv.WARDEN_STACK_DIR);
  try {
    await stack("up");
  } catch (error) {
    // NATS may be up when Kafka failed: leave nothing running.
    await stack("down").catch(() => undefined);
    throw error;
  }
}

export async function teardown(): Promise<void> {
  await stack("down");
}
