import { configDefaults, defineConfig } from "vitest/config";
import { faultsStackEnv } from "./test/support/faults-stack.js";

// The fault drills restart the broker they run against (deploy/local/stack restart): they run
// on a stack of their own (test/support/faults-stack.ts), one after the other.
const BROKER_RESTARTS = [
  "test/faults/**/*.test.ts",
  "test/ingest-faults.test.ts",
];

// Integration files that use neither broker (the all-in-one, replay and their peers).
const BROKER_FREE = [
  "test/all-in-one.test.ts",
  "test/all-in-one-baselines.test.ts",
  "test/all-in-one-durable.test.ts",
  "test/all-in-one-policy.test.ts",
  "test/baseline-parity.test.ts",
  "test/cli-all-in-one.test.ts",
  "test/cli-ingest-backlog.test.ts",
  "test/crossgen.test.ts",
  "test/demo.test.ts",
  "test/demo-receiver.test.ts",
  "test/dlq-all-in-one.test.ts",
  "test/findings-out.test.ts",
  "test/gateway-http-shipper.test.ts",
  "test/ocsf-findings.test.ts",
  "test/otlp-agent.test.ts",
  "test/replay-equivalence.test.ts",
  "test/replay-ocsf.test.ts",
  "test/what-if-baselines.test.ts",
];

/**
 * Brokers nothing listens on: a broker-free file that reached for Kafka or NATS after all
 * fails at once instead of passing by luck on a stack it does not declare.
 */
const NO_BROKERS = {
  KAFKA_BROKERS: "127.0.0.1:1",
  NATS_URL: "nats://127.0.0.1:1",
};

const integration = {
  environment: "node",
  testTimeout: 120_000,
  hookTimeout: 120_000,
} as const;

// Four projects: `unit` runs the pure cores beside their code with no network;
// `integration` runs test/ against the real local stack (deploy/local/stack up);
// `broker-free` the integration files that need no broker; `faults` the broker-restarting
// drills on their own stack, beside all the others.
export default defineConfig({
  test: {
    // vitest's default on this 2-core machine is cores - 1: one file at a time. Integration
    // files mostly wait on the brokers and on the services they start as child processes, so
    // two at once keep the cores busier; each works in namespaces of its own (topics, groups,
    // streams, buckets), on ports the OS picks and in temp dirs, so they are safe side by side.
    // More than two made CPU-heavy files (chDB, Chromium) crowd each other towards their
    // timeouts on a loaded machine. `npx vitest run --maxWorkers=1` runs one file at a time.
    maxWorkers: 2,
    // oidc-provider, the tests' real OpenID Provider peer, says on every start that it runs in
    // its development mode (in-memory adapter, generated keys, default policies, Node 20):
    // true of a test peer and nothing a reader of the test output can act on.
    onConsoleLog: (log) => !log.startsWith("oidc-provider "),
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "shared/src/**/*.test.ts",
            "services/*/src/**/*.test.ts",
            "cli/src/**/*.test.ts",
            "simulator/src/**/*.test.ts",
            "sdk/*/src/**/*.test.ts",
            "console/src/**/*.test.ts",
          ],
          environment: "node",
          // Property tests run hundreds of cases; on a loaded 2-core machine the 5 s default
          // is a timing assertion in disguise. This only guards against a hang.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [
            ...configDefaults.exclude,
            ...BROKER_RESTARTS,
            ...BROKER_FREE,
          ],
          ...integration,
        },
      },
      {
        test: {
          name: "broker-free",
          include: BROKER_FREE,
          ...integration,
          env: NO_BROKERS,
        },
      },
      {
        test: {
          name: "faults",
          include: BROKER_RESTARTS,
          ...integration,
          env: faultsStackEnv,
          globalSetup: ["test/support/faults-stack.ts"],
          // One drill at a time, as both restart the same stack. In a pool of their own:
          // vitest runs a forks pool's single-fork files only after its other files, but
          // runs different pools at once, so this thread runs the drills from the start
          // beside the two forks of the other projects. The drills' test code only drives
          // child processes and clients, which work the same in a worker thread.
          pool: "threads",
          poolOptions: { threads: { singleThread: true } },
        },
      },
    ],
  },
});
