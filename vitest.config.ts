import { defineConfig } from "vitest/config";

// Two projects: `unit` runs the pure cores beside their code with no network;
// `integration` runs test/ against the real local stack (deploy/local/stack up).
export default defineConfig({
  test: {
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
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The integration tests share one broker and one NATS server on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
