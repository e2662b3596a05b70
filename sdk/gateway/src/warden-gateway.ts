import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createNames, type WardenNames } from "@warden/shared/names";
import type { GatewayConfig } from "./config.js";
import { createEnforcer, type Enforcer } from "./enforcer.js";
import { createEventBuilder, type EventBuilder } from "./event-builder.js";
import type { ShipperLimits } from "./shipper-options.js";
import { createShipper, type Shipper } from "./shipper.js";
import { createHttpSink, createKafkaSink } from "./sinks.js";

/** The three parts a gateway needs, wired from one GatewayConfig. */
export interface WardenGateway {
  readonly names: WardenNames;
  readonly builder: EventBuilder;
  readonly shipper: Shipper;
  readonly enforcer: Enforcer;
  /** Flushes the shipper (grace `graceMs`), then leaves NATS. Stop taking calls first. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Builds and starts the event builder, the shipper (Kafka or HTTP per `shipTo`) and the
 * enforcer. Starts even while Warden's Kafka is down (events spool); needs NATS to start,
 * because a gateway that cannot learn of revocations should not take traffic.
 */
export async function createWardenGateway(options: {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly limits?: ShipperLimits;
}): Promise<WardenGateway> {
  const { config, logger, registry } = options;
  const names = createNames(config.namespace);
  const sink =
    config.shipTo === "http" && config.ingest
      ? createHttpSink(config.ingest)
      : createKafkaSink({
          brokers: config.kafka.brokers,
          clientId: config.kafka.clientId,
          topic: names.topics.audit,
          ...(config.gatewayToken
            ? {
                credential: {
                  gateway: config.gatewayName,
                  token: config.gatewayToken,
                },
              }
            : {}),
          logger,
        });
  const shipper = createShipper({
    sink,
    spoolDirectory: config.spoolDirectory,
    spoolMaxBytes: config.spoolMaxBytes,
    sendTimeoutMs: config.sendTimeoutMs,
    ...options.limits,
    logger,
    registry,
  });
  const enforcer = createEnforcer({
    servers: config.nats.servers,
    natsOptions: {
      ...(config.nats.token === undefined ? {} : { token: config.nats.token }),
      ...(config.nats.user === undefined
        ? {}
        : { user: config.nats.user, pass: config.nats.password ?? "" }),
      name: `warden-gateway-${config.gatewayName}`,
    },
    namespace: config.namespace,
    tenant: config.tenant,
    ...(config.killSwitch.jwksUrl === undefined
      ? { acceptUnsigned: config.killSwitch.acceptUnsigned }
      : { keys: { jwksUrl: config.killSwitch.jwksUrl } }),
    logger,
    registry,
  });
  await shipper.start();
  try {
    await enforcer.start();
  } catch (error) {
    await shipper.stop();
    throw error;
  }
  return {
    names,
    builder: createEventBuilder({
      tenant: config.tenant,
      gateway: config.gatewayName,
    }),
    shipper,
    enforcer,
    async stop(graceMs) {
      await shipper.stop(graceMs);
      await enforcer.stop();
    },
  };
}
