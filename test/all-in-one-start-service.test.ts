import { afterAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { eventually } from "./support/service.js";

// `warden start <service>` runs that service's own main in the foreground, against the stack.
describe("warden start ingest", () => {
  const { namespace } = useKafkaNamespace("start-ingest");
  let warden: WardenProcess | undefined;
  afterAll(() => {
    warden?.child.kill("SIGKILL");
  });

  it("becomes ready against the shared stack and stops on SIGTERM with exit 0", async () => {
    warden = runWarden(["start", "ingest"], {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: "0",
      WARDEN_LOG_LEVEL: "info",
    });
    const [, port] = await warden.waitFor(
      /"service":"ingest".*"port":(\d+)[^\n]*ops server listening/,
      60_000,
    );
    const ready = await eventually("/readyz 200", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return response.status === 200 ? response.status : undefined;
    });
    expect(ready).toBe(200);
    const metrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`)
    ).text();
    expect(metrics).toContain('service="ingest"');
    warden.child.kill("SIGTERM");
    expect(await warden.exited, warden.output()).toBe(0);
  });
});
