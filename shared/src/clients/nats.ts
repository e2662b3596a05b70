import {
  connect,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type KV,
  type NatsConnection,
} from "nats";
import type { NatsConfig } from "../config.js";
import { DependencyError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { WardenNames } from "../names.js";

export const DEFAULT_DECISIONS_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** Connects to NATS, reconnecting for ever, with status changes logged. */
export async function connectNats(options: {
  readonly config: NatsConfig;
  readonly logger: Logger;
  readonly name: string;
}): Promise<NatsConnection> {
  const { config } = options;
  const log = options.logger.child({ component: "nats" });
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: [...config.servers],
      name: options.name,
      ...(config.token ? { token: config.token } : {}),
      ...(config.user
        ? { user: config.user, pass: config.password ?? "" }
        : {}),
      inboxPrefix: config.inboxPrefix,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (cause) {
    throw new DependencyError(
      "nats",
      `cannot reach ${config.servers.join(", ")}: start it (npm run stack up) or set NATS_URL`,
      { cause },
    );
  }
  void (async () => {
    for await (const status of connection.status()) {
      log.info(
        {
          type: status.type,
          data: typeof status.data === "string" ? status.data : undefined,
        },
        "nats status",
      );
    }
  })();
  return connection;
}

/** Creates or updates the decisions stream (file storage, bounded age). Idempotent. */
export async function ensureDecisionsStream(
  manager: JetStreamManager,
  names: WardenNames,
  maxAgeMs = DEFAULT_DECISIONS_MAX_AGE_MS,
): Promise<void> {
  const config = {
    name: names.decisionsStream,
    subjects: [names.decisionSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: maxAgeMs * 1_000_000,
    // Deduplicates re-published decisions by Nats-Msg-Id (= decision_id) within this window.
    duplicate_window: 120 * 1_000_000_000,
  };
  try {
    await manager.streams.info(names.decisionsStream);
    await manager.streams.update(names.decisionsStream, config);
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.streams.add(config);
  }
}

/** Opens (creating if needed) the baselines KV bucket. */
export async function openBaselinesBucket(
  connection: NatsConnection,
  names: WardenNames,
): Promise<KV> {
  return connection.jetstream().views.kv(names.baselinesBucket, { history: 1 });
}

/**
 * How long a shared credential fact is kept: a revocation is watched for a day (detector). The
 * bucket is bounded by this age alone (one key per agent and credential): a `max_bytes` would be
 * reserved up front against the server's JetStream storage, for every namespace.
 */
const CREDENTIAL_FACTS_TTL_MS = 24 * 3_600_000;

/** Opens (creating if needed) the detectors' shared credential facts bucket. */
export async function openCredentialsBucket(
  connection: NatsConnection,
  names: WardenNames,
): Promise<KV> {
  return connection.jetstream().views.kv(names.credentialsBucket, {
    history: 1,
    ttl: CREDENTIAL_FACTS_TTL_MS,
  });
}
