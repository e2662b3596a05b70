// The detector service: config → logger → metrics → engine → NATS (decisions stream, baselines
// watch) → Kafka → pipeline → ops server → shutdown.
import {
  connectNats,
  createKafka,
  createLogger,
  createNames,
  createShutdown,
  runService,
  ensureDecisionsStream,
  openBaselinesBucket,
  openCredentialsBucket,
  startOpsServer,
  consumerReadiness,
  stopOnFatalCrash,
} from "@warden/shared";
import { watchBaselines } from "./adapters/baseline-watcher.js";
import { shareCredentialFacts } from "./adapters/credential-index.js";
import { startDecisionPipeline } from "./adapters/decision-pipeline.js";
import { watchPolicyFile } from "./adapters/policy-watcher.js";
import { createScoringEngine } from "./core/engine.js";
import { loadDetectorConfig } from "./config.js";
import { createDetectorMetrics } from "./metrics.js";

async function main(): Promise<void> {
  const config = loadDetectorConfig(process.env);
  const logger = createLogger({
    level: config.common.logLevel,
    service: "detector",
  });
  const shutdown = createShutdown({
    logger,
    deadlineMs: config.common.shutdownDeadlineMs,
  });
  const metrics = createDetectorMetrics();
  const names = createNames(config.common.namespace);
  const nats = await connectNats({
    config: config.nats,
    logger,
    name: "warden-detector",
  });
  await ensureDecisionsStream(await nats.jetstreamManager(), names);
  const engine = createScoringEngine({
    limits: config.limits,
    policy: config.policy,
    maxAgents: config.maxAgents,
    maxAgentsPerTenant: config.maxAgentsPerTenant,
    idleEvictMs: config.idleEvictMs,
    shareFacts: true,
  });
  metrics.observe({
    agents: () => engine.agents,
    evictedAgents: () => engine.evictedAgents,
    baselines: () => engine.baselines.size,
  });
  // Hot reload: a valid new policy applies to the next event; an invalid one is refused.
  const policyWatcher = config.policyFile
    ? watchPolicyFile({
        path: config.policyFile,
        apply: (policy) => engine.setPolicy(policy),
        logger,
        metrics,
      })
    : undefined;
  const baselines = await watchBaselines({
    bucket: await openBaselinesBucket(nats, names),
    index: engine.baselines,
    logger,
    metrics,
  });
  const credentials = await shareCredentialFacts({
    bucket: await openCredentialsBucket(nats, names),
    engine,
    logger,
    metrics,
  });
  const pipeline = await startDecisionPipeline({
    kafka: createKafka({ config: config.kafka, logger }),
    jetstream: nats.jetstream(),
    config,
    names,
    logger,
    metrics,
    engine,
    credentials,
  });
  const kafkaReady = consumerReadiness(pipeline.consumer);
  stopOnFatalCrash(pipeline.consumer, {
    logger,
    stop: (reason) => shutdown.stop(reason),
  });
  const ops = await startOpsServer({
    host: config.common.opsHost,
    port: config.common.opsPort,
    registry: metrics.registry,
    checks: [
      kafkaReady,
      { name: "nats", check: () => !nats.isClosed() },
      { name: "baselines", check: () => baselines.watching },
      { name: "credential facts", check: () => credentials.watching },
    ],
    logger,
  });
  shutdown.add("policy watcher", () => policyWatcher?.stop());
  shutdown.add("decision pipeline", () => pipeline.stop());
  shutdown.add("baseline watcher", () => baselines.stop());
  shutdown.add("credential facts", () => credentials.stop());
  shutdown.add("nats", () => nats.drain());
  shutdown.add("ops server", () => ops.stop());
  shutdown.installSignalHandlers();
  logger.info(
    {
      topic: names.topics.events,
      group: names.groups.detector,
      stream: names.decisionsStream,
      limits: config.limits,
      maxAgents: config.maxAgents,
      policyFile: config.policyFile || "(built-in default)",
      dryRun: config.policy.dryRun,
      opsPort: ops.port,
    },
    "detector started",
  );
}

runService("detector", main);
