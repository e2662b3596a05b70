import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./service.js";

const execFileAsync = promisify(execFile);

/** Who connects: a service's own Kafka and NATS user, or a gateway's. */
export type Principal =
  "admin" | "ingest" | "baseline" | "detector" | "revoker" | "gateway";

/**
 * A second local stack of the test's own (deploy/local/stack with WARDEN_STACK_AUTH=true) on
 * ports the OS picked and in a temp dir: Kafka with SASL/SCRAM-SHA-256 and ACLs, NATS with the
 * shipped users and permissions. The shared stack at 9092/4222 is never touched.
 */
export interface AuthStack {
  readonly kafkaBrokers: string;
  readonly natsUrl: string;
  readonly natsLog: string;
  /** The generated passwords (credentials.env). */
  password(system: "kafka" | "nats", principal: Principal): string;
  /** KAFKA_* and NATS_* variables of one principal, as a service reads them. */
  env(principal: Principal): Record<string, string>;
  down(): Promise<void>;
}

/**
 * The Kafka jars are resolved once per stack dir by Maven; a new dir links the shared stack's
 * copy when there is one (WARDEN_STACK_DIR or the default .warden/stack) instead.
 */
export function linkKafkaJars(dir: string): void {
  const shared = resolve(
    process.env["WARDEN_STACK_DIR"] ?? ".warden/stack",
    "kafka",
  );
  if (!existsSync(shared)) return;
  mkdirSync(join(dir, "kafka"), { recursive: true });
  for (const entry of readdirSync(shared))
    if (entry.startsWith("libs-") && !entry.endsWith(".tmp"))
      symlinkSync(join(shared, entry), join(dir, "kafka", entry));
}

export async function startAuthStack(): Promise<AuthStack> {
  // A port the OS called free can be taken by a neighbour before the broker binds it (three
  // test files start processes at once): a failed start is retried on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAuthStackOnce();
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function startAuthStackOnce(): Promise<AuthStack> {
  const dir = mkdtempSync(join(tmpdir(), "warden-auth-stack-"));
  linkKafkaJars(dir);
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [kafka, controller, nats, monitor] = [...ports];
  const stackEnv = {
    ...process.env,
    WARDEN_STACK_AUTH: "true",
    WARDEN_STACK_DIR: dir,
    WARDEN_STACK_KAFKA_PORT: String(kafka),
    WARDEN_STACK_KAFKA_CONTROLLER_PORT: String(controller),
    WARDEN_STACK_NATS_PORT: String(nats),
    WARDEN_STACK_NATS_MONITOR_PORT: String(monitor),
    WARDEN_STACK_KAFKA_HEAP: "384m",
  };
  const down = async (): Promise<void> => {
    await execFileAsync("bash", ["deploy/local/stack", "down"], {
      env: stackEnv,
    });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await execFileAsync("bash", ["deploy/local/stack", "up"], {
      env: stackEnv,
    });
  } catch (error) {
    await down().catch(() => undefined);
    throw error;
  }
  const passwords = new Map(
    readFileSync(join(dir, "auth", "credentials.env"), "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => line.split("=", 2) as [string, string]),
  );
  const password = (system: "kafka" | "nats", principal: Principal): string => {
    const value = passwords.get(
      `${system.toUpperCase()}_PASSWORD_${principal.toUpperCase()}`,
    );
    if (!value) throw new Error(`no ${system} password for ${principal}`);
    return value;
  };
  const kafkaBrokers = `127.0.0.1:${kafka}`;
  const natsUrl = `nats://127.0.0.1:${nats}`;
  return {
    kafkaBrokers,
    natsUrl,
    natsLog: join(dir, "nats", "server.log"),
    password,
    env: (principal) => ({
      KAFKA_BROKERS: kafkaBrokers,
      NATS_URL: natsUrl,
      KAFKA_SASL_MECHANISM: "scram-sha-256",
      KAFKA_SASL_USERNAME: `warden-${principal}`,
      KAFKA_SASL_PASSWORD: password("kafka", principal),
      ...(principal === "admin" || principal === "ingest"
        ? {}
        : {
            NATS_USER: `warden-${principal}`,
            NATS_PASSWORD: password("nats", principal),
          }),
    }),
    down,
  };
}
