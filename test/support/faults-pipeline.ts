import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Admin, Kafka } from "kafkajs";
import type { NatsConnection } from "nats";
import {
  connectAdmin,
  connectNats,
  createKafka,
  ensureDecisionsStream,
  ensureTopics,
  type WardenNames,
} from "@warden/shared";
import { startFaultReceiver, type FaultReceiver } from "./faults-receiver.js";
import { namespaceOf } from "./kafka-namespace.js";
import { freePort, startService, type RunningService } from "./service.js";
import { kafkaConfig, natsConfig, quietLogger, uniqueNames } from "./stack.js";

export const SERVICE_NAMES = [
  "ingest",
  "baseline",
  "detector",
  "revoker",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * One service process that the test can kill and start again with the same environment (same
 * ops port, same chDB path, same signing keys), as a supervisor would. Every start and every
 * exit is recorded, so an exit nobody asked for (a crash) cannot go unnoticed.
 */
export interface ManagedService {
  readonly name: ServiceName;
  readonly opsPort: number;
  readonly process: RunningService;
  readonly starts: number;
  /** Exits the test did not cause, with the tail of the output of the process that died. */
  readonly unexpectedExits: readonly string[];
  alive(): boolean;
  ready(): Promise<boolean>;
  /** The tail of every start's output. */
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
  start(): void;
}

function manage(
  name: ServiceName,
  opsPort: number,
  env: Record<string, string>,
): ManagedService {
  let current: RunningService | undefined;
  let expectingExit = false;
  let starts = 0;
  const unexpectedExits: string[] = [];
  const outputs: (() => string)[] = [];
  const launch = (): void => {
    expectingExit = false;
    const service = startService(`services/${name}/dist/main.js`, {
      ...env,
      WARDEN_OPS_PORT: String(opsPort),
    });
    service.child.on("exit", (code, signal) => {
      if (!expectingExit)
        unexpectedExits.push(
          `${name} exited by itself (code ${String(code)}, signal ${String(signal)}):\n${service.output().slice(-4000)}`,
        );
    });
    outputs.push(() => service.output());
    current = service;
    starts += 1;
  };
  launch();
  const running = (): RunningService => {
    if (!current) throw new Error(`${name} was never started`);
    return current;
  };
  return {
    name,
    opsPort,
    get process() {
      return running();
    },
    get starts() {
      return starts;
    },
    unexpectedExits,
    alive: () => running().child.exitCode === null && !running().child.killed,
    ready: () =>
      fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
        (response) => response.ok,
        () => false,
      ),
    output: () =>
      outputs
        .map((read, index) => `--- ${name} start ${index + 1}\n${read()}`)
        .join("\n")
        .slice(-8000),
    async kill9() {
      expectingExit = true;
      const exited = new Promise((resolve) =>
        running().child.once("exit", resolve),
      );
      running().child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      expectingExit = true;
      return running().stop();
    },
    start: launch,
  };
}

export interface PipelineOptions {
  /** Burst limit of agents without a baseline: the simulator's runaway loops (4–12 calls/s) exceed it. */
  readonly burstMaxCalls: number;
  /**
   * The revoker's push back-off (first step, cap) and how long its circuit breaker stays open,
   * scaled down from the defaults (1 s, 5 m, 30 s) so that a receiver down for seconds meets
   * several back-off steps and an opened breaker, and a recovered one is reached in seconds.
   */
  readonly retryInitial: string;
  readonly retryMax: string;
  readonly breakerOpen: string;
}

/**
 * The four services as separate processes over the real stack, in a namespace of their own,
 * with the baseline's chDB and the revoker's keys in a temp dir and a push receiver
 * registered as the revoker's static stream.
 */
export interface Pipeline {
  readonly names: WardenNames;
  readonly namespace: string;
  readonly chdbPath: string;
  readonly receiver: FaultReceiver;
  readonly services: Readonly<Record<ServiceName, ManagedService>>;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly nats: NatsConnection;
  /** Everything every service printed, for failure messages. */
  describe(): string;
  close(): Promise<void>;
}

export async function startPipeline(
  options: PipelineOptions,
): Promise<Pipeline> {
  const names = uniqueNames("faults");
  const namespace = namespaceOf(names);
  const dir = mkdtempSync(join(tmpdir(), "warden-faults-"));
  const kafka = createKafka({ config: kafkaConfig, logger: quietLogger });
  const admin = await connectAdmin(kafka, kafkaConfig);
  await ensureTopics(admin, names);
  const nats = await connectNats({
    config: natsConfig,
    logger: quietLogger,
    name: "faults-test",
  });
  await ensureDecisionsStream(await nats.jetstreamManager(), names);
  const receiver = await startFaultReceiver();
  const revokerPort = await freePort();
  const common = { WARDEN_NAMESPACE: namespace };
  // A killed consumer's partitions wait out its session before the restarted one gets them, so
  // a kill -9 round with the 30 s default is mostly waiting; what is checked (nothing lost,
  // nothing twice) does not depend on how long. 15 s for ingest and the detector, whose
  // batches heartbeat within a second; 30 s (the default) for the baseline, whose batch holds a
  // chDB insert. Not the broker's least (6 s): the drills run beside the integration files,
  // and at load ~10-25 a 6 s ingest and a 15 s baseline were dropped from their groups (a
  // first batch waiting on a fresh broker's producer id, a slow chDB insert), and exited.
  const quickSession = { KAFKA_SESSION_TIMEOUT: "15s" };
  const chdbSession = { KAFKA_SESSION_TIMEOUT: "30s" };
  const chdbPath = join(dir, "chdb");
  const services = {
    ingest: manage("ingest", await freePort(), { ...common, ...quickSession }),
    baseline: manage("baseline", await freePort(), {
      ...common,
      ...chdbSession,
      CHDB_PATH: chdbPath,
    }),
    detector: manage("detector", await freePort(), {
      ...common,
      ...quickSession,
      DETECTOR_BURST_MAX_CALLS: String(options.burstMaxCalls),
      DETECTOR_BURST_WINDOW: "10s",
    }),
    revoker: manage("revoker", await freePort(), {
      ...common,
      REVOKER_ISSUER: `http://127.0.0.1:${revokerPort}`,
      REVOKER_HTTP_PORT: String(revokerPort),
      REVOKER_SIGNING_KEY_FILE: join(dir, "signing-key.json"),
      REVOKER_PUSH_URL: receiver.url,
      REVOKER_RETRY_INITIAL: options.retryInitial,
      REVOKER_RETRY_MAX: options.retryMax,
      REVOKER_BREAKER_OPEN: options.breakerOpen,
    }),
  };
  const describe = () =>
    SERVICE_NAMES.map((name) => services[name].output()).join("\n");
  return {
    names,
    namespace,
    chdbPath,
    receiver,
    services,
    kafka,
    admin,
    nats,
    describe,
    async close() {
      for (const name of SERVICE_NAMES) await services[name].stop();
      await receiver.close();
      const manager = await nats.jetstreamManager();
      for (const stream of [
        names.decisionsStream,
        names.revoker.setsStream,
        `KV_${names.revoker.streamsBucket}`,
        `KV_${names.revoker.approvalsBucket}`,
        `KV_${names.revoker.riskLevelsBucket}`,
        `KV_${names.revokedAgentsBucket}`,
        `KV_${names.baselinesBucket}`,
      ])
        await manager.streams.delete(stream).catch(() => undefined);
      await nats.drain();
      await admin
        .deleteTopics({ topics: Object.values(names.topics) })
        .catch(() => undefined);
      await admin.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const execFileAsync = promisify(execFile);

/**
 * Restarts a broker of the stack the tests run against with `deploy/local/stack restart`,
 * asynchronously so the test's own producer keeps trying meanwhile. The script reads the
 * inherited environment (WARDEN_STACK_DIR and the port variables), so it restarts the stack
 * this process is connected to.
 */
export async function restartBroker(part: "kafka" | "nats"): Promise<number> {
  const started = Date.now();
  await execFileAsync("bash", ["deploy/local/stack", "restart", part], {
    env: process.env,
  });
  return Date.now() - started;
}
