import type { JsMsg, NatsConnection } from "nats";
import { AckPolicy, nanos } from "nats";
import {
  WardenError,
  credentialLabel,
  backoffDelayMs,
  describeError,
  sleep,
  type Logger,
} from "@warden/shared";
import type { AgentAction } from "../core/action.js";
import { AuditStep, auditRecord } from "../core/audit.js";
import {
  ConnectorType,
  connectorJobs,
  globalRevocationRequest,
  revocationRequest,
  scimDeactivate,
  scimLookup,
  webhookRequest,
  type ConnectorConfig,
  type ConnectorJob,
  type HttpCall,
} from "../core/connectors.js";
import type { RevokerMetrics } from "../metrics.js";
import type { RevokerNames } from "@warden/shared";
import type { AuditLog } from "./audit-log.js";
import { settleMessage } from "./set-queue.js";

/** A connector call that failed; `retriable` decides between back-off and dead-letter. */
export class ConnectorError extends WardenError {
  constructor(
    message: string,
    readonly outcome: string,
    retriable: boolean,
  ) {
    super(message, { retriable });
  }
}

export interface ConnectorPolicy {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly deadLetterAfterMs: number;
}

/** One HTTP call to an operator-configured system: no redirects, bounded time and answer size. */
export async function callConnector(
  request: HttpCall,
  policy: ConnectorPolicy,
): Promise<{ status: number; body: string }> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: "manual",
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
  } catch (cause) {
    throw new ConnectorError(
      `${request.method} ${new URL(request.url).origin} failed: ${describeError(cause)}`,
      "network error",
      true,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Read at most maxResponseBytes; leaving the loop cancels the rest of the body.
  for await (const chunk of (response.body ??
    []) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > policy.maxResponseBytes) break;
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString("utf8");
  if (response.status >= 200 && response.status < 300)
    return { status: response.status, body };
  const retriable =
    response.status >= 500 ||
    response.status === 429 ||
    response.status === 408;
  throw new ConnectorError(
    `${request.method} ${new URL(request.url).origin} answered ${response.status}`,
    String(response.status),
    retriable,
  );
}

/** Runs one job against its connector; resolves with a short outcome for the audit. */
export async function runConnectorJob(
  connector: ConnectorConfig,
  job: ConnectorJob,
  policy: ConnectorPolicy,
): Promise<string> {
  switch (connector.type) {
    case ConnectorType.oauthRevocation: {
      // RFC 7009 §2.2: 200 whether or not the token was still valid, so the audit says what
      // was asked, not that something was revoked; the credential by its label, never verbatim.
      const answer = await callConnector(
        revocationRequest(connector, job.credentialId ?? ""),
        policy,
      );
      return `RFC 7009 revocation of credential ${credentialLabel(job.credentialId ?? "")} accepted (${answer.status}; the server answers so for unknown tokens too)`;
    }
    case ConnectorType.oauthGlobalRevocation: {
      const answer = await callConnector(
        globalRevocationRequest(connector, job.action.agentId),
        policy,
      );
      return `all tokens of subject opaque:${job.action.agentId} revoked (${answer.status})`;
    }
    case ConnectorType.scim: {
      const found = await callConnector(
        scimLookup(connector, job.action.agentId),
        policy,
      );
      const resources =
        (
          JSON.parse(found.body || "{}") as {
            Resources?: { id?: unknown; userName?: unknown }[];
          }
        ).Resources ?? [];
      const [account] = resources;
      const id = account?.id;
      // Exactly one agent account of exactly this userName (RFC 7644 §4.1.1: case-insensitive).
      if (
        resources.length !== 1 ||
        typeof id !== "string" ||
        typeof account?.userName !== "string" ||
        account.userName.toLowerCase() !== job.action.agentId.toLowerCase()
      )
        throw new ConnectorError(
          resources.length > 1
            ? `${resources.length} SCIM agent accounts answer to userName ${job.action.agentId}; none changed`
            : `no SCIM agent account with userName ${job.action.agentId}`,
          resources.length > 1 ? "ambiguous account" : "no account",
          false,
        );
      const active = job.action.kind === "reinstate";
      const answer = await callConnector(
        scimDeactivate(connector, id, active),
        policy,
      );
      return `account ${id} active=${String(active)} (${answer.status})`;
    }
    case ConnectorType.webhook: {
      const answer = await callConnector(
        webhookRequest(connector, job, Date.now() / 1000),
        policy,
      );
      return `webhook answered ${answer.status}`;
    }
  }
}

export interface Connectors {
  /** Durably queues the connector jobs of an action (message id = job id). */
  enqueue(action: AgentAction): Promise<void>;
  stop(): Promise<void>;
}

const FETCH_EXPIRES_MS = 1_000;
const ACK_WAIT_MS = 60_000;

/**
 * Connector jobs go through the same JetStream stream as SETs (subject per connector), so a
 * connector that is down for hours loses nothing; one worker per connector retries with
 * jittered back-off and dead-letters refusals and jobs older than the dead-letter age.
 */
export async function startConnectors(options: {
  readonly connection: NatsConnection;
  readonly names: RevokerNames;
  readonly connectors: readonly ConnectorConfig[];
  readonly policy: ConnectorPolicy;
  readonly audit: AuditLog;
  readonly metrics: RevokerMetrics;
  readonly logger: Logger;
}): Promise<Connectors> {
  const { connection, names, policy, audit, metrics } = options;
  const js = connection.jetstream();
  const manager = await connection.jetstreamManager();
  const abort = new AbortController();
  const log = options.logger.child({ component: "connectors" });

  for (const connector of options.connectors) {
    const name = names.consumer("connector", connector.id);
    try {
      await manager.consumers.info(names.setsStream, name);
    } catch (error) {
      if ((error as { code?: string }).code !== "404") throw error;
      await manager.consumers.add(names.setsStream, {
        durable_name: name,
        filter_subject: names.connectorSubject(connector.id),
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ACK_WAIT_MS),
        max_deliver: -1,
      });
    }
  }

  async function settle(
    connector: ConnectorConfig,
    message: JsMsg,
  ): Promise<void> {
    const job = JSON.parse(message.string()) as ConnectorJob;
    const attempt = message.info.redeliveryCount;
    const record = (outcome: string) =>
      auditRecord(job.action, AuditStep.connector, new Date().toISOString(), {
        receiver: `${connector.type} ${connector.id}`,
        attempt,
        outcome,
      });
    if (Date.now() - job.queued_at_ms > policy.deadLetterAfterMs) {
      await js.publish(
        names.deadSubject(`connector-${connector.id}`),
        message.data,
      );
      metrics.connectorCalls.labels(connector.id, "failed").inc();
      await audit.write([record("expired; dead-lettered")]);
      await settleMessage(manager, names.setsStream, message);
      return;
    }
    try {
      const outcome = await runConnectorJob(connector, job, policy);
      metrics.connectorCalls.labels(connector.id, "done").inc();
      await audit.write([record(outcome)]);
      await settleMessage(manager, names.setsStream, message);
    } catch (error) {
      const failure =
        error instanceof ConnectorError
          ? error
          : new ConnectorError(describeError(error), "error", true);
      if (failure.retriable) {
        metrics.connectorCalls.labels(connector.id, "retry").inc();
        log.warn(
          { connector: connector.id, attempt, error: failure.message },
          "connector call failed; will retry",
        );
        message.nak(
          backoffDelayMs(attempt, policy.retryInitialMs, policy.retryMaxMs),
        );
      } else {
        metrics.connectorCalls.labels(connector.id, "failed").inc();
        log.error(
          { connector: connector.id, error: failure.message },
          "connector refused; dead-lettered",
        );
        await js.publish(
          names.deadSubject(`connector-${connector.id}`),
          message.data,
        );
        await audit.write([record(`${failure.outcome}; dead-lettered`)]);
        await settleMessage(manager, names.setsStream, message);
      }
    }
  }

  const loops = options.connectors.map(async (connector) => {
    const consumer = await js.consumers.get(
      names.setsStream,
      names.consumer("connector", connector.id),
    );
    while (!abort.signal.aborted) {
      try {
        const batch = await consumer.fetch({
          max_messages: 16,
          expires: FETCH_EXPIRES_MS,
        });
        const inFlight: Promise<void>[] = [];
        for await (const message of batch)
          inFlight.push(
            settle(connector, message).catch((error: unknown) => {
              log.warn(
                { connector: connector.id, error: describeError(error) },
                "could not settle a job; will retry",
              );
              message.nak(policy.retryInitialMs);
            }),
          );
        await Promise.all(inFlight);
      } catch (error) {
        log.warn(
          { connector: connector.id, error: describeError(error) },
          "fetching jobs failed; retrying",
        );
        await sleep(FETCH_EXPIRES_MS, abort.signal).catch(() => undefined);
      }
    }
  });

  return {
    async enqueue(action) {
      await Promise.all(
        connectorJobs(action, options.connectors, Date.now()).map((job) =>
          js.publish(
            names.connectorSubject(job.connectorId),
            JSON.stringify(job),
            { msgID: job.id },
          ),
        ),
      );
    },
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
