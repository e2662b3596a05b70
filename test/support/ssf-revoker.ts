import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { NatsConnection } from "nats";
import type { WardenNames } from "@warden/shared";
import { freePort, startService, type RunningService } from "./service.js";

/** A revoker process with its own namespace, key file and SSF API port. */
export interface TestRevoker {
  readonly service: RunningService;
  readonly base: string;
  readonly namespace: string;
  readonly keyDir: string;
  stop(): Promise<number | null>;
}

export const sha256Hex = (text: string): string =>
  createHash("sha256").update(text).digest("hex");

/** The namespace behind `uniqueNames(...)` (its consumer name without the suffix). */
export function namespaceOf(names: WardenNames): string {
  return names.decisionsConsumer.replace(/-warden-revoker$/, "");
}

export async function startRevoker(
  names: WardenNames,
  env: Record<string, string>,
  keyDir = mkdtempSync(join(tmpdir(), "warden-revoker-")),
): Promise<TestRevoker> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const namespace = namespaceOf(names);
  const service = startService("services/revoker/dist/main.js", {
    WARDEN_NAMESPACE: namespace,
    WARDEN_OPS_PORT: "0",
    REVOKER_HTTP_PORT: String(port),
    REVOKER_ISSUER: base,
    REVOKER_SIGNING_KEY_FILE: join(keyDir, "keys.json"),
    ...env,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${base}/jwks.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (service.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`revoker did not start:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    service,
    base,
    namespace,
    keyDir,
    stop: () => service.stop(),
  };
}

export function removeKeyDir(revoker: TestRevoker): void {
  rmSync(revoker.keyDir, { recursive: true, force: true });
}

/** Deletes what a revoker test made in JetStream (decisions and SET streams, buckets). */
export async function cleanUpNats(
  connection: NatsConnection,
  names: WardenNames,
): Promise<void> {
  const manager = await connection.jetstreamManager();
  for (const stream of [
    names.decisionsStream,
    names.revoker.setsStream,
    names.revoker.deadSetsStream,
    names.revoker.deadDecisionsStream,
    `KV_${names.revoker.streamsBucket}`,
    `KV_${names.revoker.approvalsBucket}`,
    `KV_${names.revoker.riskLevelsBucket}`,
    `KV_${names.revokedAgentsBucket}`,
    `KV_${names.credentialsBucket}`,
  ])
    await manager.streams.delete(stream).catch(() => undefined);
}
