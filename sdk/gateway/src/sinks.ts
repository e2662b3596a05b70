import {
  CompressionTypes,
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type KafkaConfig,
  type LogEntry,
  type Producer,
} from "kafkajs";
import type { Logger } from "pino";
import {
  AUDIT_RECORD_HEADER,
  auditRecordSignature,
  auditRecordSigningKey,
} from "@warden/shared/audit-signature";
import { DeliveryError } from "./errors.js";

/** One event on its way to Warden: the agent id (Kafka key) and the event's JSON bytes. */
export interface OutboundEvent {
  readonly key: string;
  readonly value: Buffer;
}

export interface SinkResult {
  /** Events Warden answered as rejected (HTTP ingest only); they are dead-lettered there. */
  readonly rejected: number;
}

/** Where the shipper sends batches. A thrown error means nothing of the batch may be assumed delivered. */
export interface Sink {
  readonly kind: "kafka" | "http";
  send(
    events: readonly OutboundEvent[],
    signal: AbortSignal,
  ): Promise<SinkResult>;
  close(): Promise<void>;
}

export const DEFAULT_KAFKA_CONNECTION_TIMEOUT_MS = 3_000;

export interface KafkaSinkOptions {
  readonly brokers: readonly string[];
  /** Warden's audit topic, `names.topics.audit` from @warden/shared/names. */
  readonly topic: string;
  readonly clientId?: string;
  readonly ssl?: KafkaConfig["ssl"];
  readonly sasl?: KafkaConfig["sasl"];
  readonly connectionTimeoutMs?: number;
  /**
   * The gateway's Warden credential (its name and token in ingest's INGEST_GATEWAY_TOKENS).
   * Each record is signed with it, which is how ingest learns the record's tenant; without
   * it ingest accepts the record only when it has no credentials configured at all.
   */
  readonly credential?: { readonly gateway: string; readonly token: string };
  readonly logger: Logger;
}

const PINO_LEVEL: Record<number, "error" | "warn" | "info" | "debug"> = {
  [KafkaLogLevel.ERROR]: "error",
  [KafkaLogLevel.WARN]: "warn",
  [KafkaLogLevel.INFO]: "info",
  [KafkaLogLevel.DEBUG]: "debug",
};

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void =>
      reject(new DeliveryError("kafka", "send timed out or was aborted"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/**
 * Produces to Kafka with the agent id as key (one agent's events stay ordered on one
 * partition), with acks from all in-sync replicas. Connects on first use, so a gateway
 * starts, and spools, while Kafka is down; a failed send drops the connection to start clean.
 */
export function createKafkaSink(options: KafkaSinkOptions): Sink {
  const log = options.logger.child({ component: "kafkajs" });
  const kafka = new Kafka({
    clientId: options.clientId ?? "warden-gateway",
    brokers: [...options.brokers],
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    connectionTimeout:
      options.connectionTimeoutMs ?? DEFAULT_KAFKA_CONNECTION_TIMEOUT_MS,
    // The shipper owns retries (spool, jittered back-off); kafkajs only rides out a blip.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[PINO_LEVEL[level] ?? "info"](
          { ...rest, timestamp: undefined },
          message,
        );
      },
  });
  const signingKey = options.credential
    ? auditRecordSigningKey(options.credential.token)
    : undefined;
  const gateway = options.credential?.gateway ?? "";
  const record = (event: OutboundEvent) =>
    signingKey
      ? {
          key: event.key,
          value: event.value,
          headers: {
            [AUDIT_RECORD_HEADER.gateway]: gateway,
            [AUDIT_RECORD_HEADER.signature]: auditRecordSignature(
              signingKey,
              event.value,
            ),
          },
        }
      : { key: event.key, value: event.value };
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let closed = false;

  // Concurrent sends share one connection attempt; a producer that finishes connecting
  // after close() (its send timed out meanwhile) is disconnected rather than leaked.
  function connected(): Promise<Producer> {
    if (producer) return Promise.resolve(producer);
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  async function connect(): Promise<Producer> {
    // Not kafkajs' idempotent mode: it wants unlimited retries, and the shipper's retries can
    // duplicate anyway; Warden's ingest de-duplicates on event_id. One request in flight keeps order.
    const fresh = kafka.producer({
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await fresh.connect();
    } catch (cause) {
      await fresh.disconnect().catch(() => undefined);
      throw new DeliveryError(
        "kafka",
        `cannot reach ${options.brokers.join(", ")}`,
        { cause },
      );
    }
    if (closed) {
      await fresh.disconnect().catch(() => undefined);
      throw new DeliveryError("kafka", "the sink is closed", {
        retriable: false,
      });
    }
    producer = fresh;
    return fresh;
  }

  return {
    kind: "kafka",
    async send(events, signal) {
      try {
        await Promise.race([
          (async () => {
            const ready = await connected();
            await ready.send({
              topic: options.topic,
              acks: -1,
              compression: CompressionTypes.None,
              messages: events.map(record),
            });
          })(),
          rejectOnAbort(signal),
        ]);
        return { rejected: 0 };
      } catch (error) {
        const stale = producer;
        producer = undefined;
        await stale?.disconnect().catch(() => undefined);
        throw error instanceof DeliveryError
          ? error
          : new DeliveryError("kafka", "produce failed", { cause: error });
      }
    },
    async close() {
      closed = true;
      await connecting?.catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
    },
  };
}

export interface HttpSinkOptions {
  /** Warden's HTTP ingest, e.g. https://warden.example/v1/events. */
  readonly url: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  readonly token?: string;
}

interface IngestAnswer {
  readonly rejected?: unknown;
}

/**
 * POSTs a batch as NDJSON to Warden's HTTP ingest. 2xx: delivered (lines the ingest rejected
 * are dead-lettered there and counted here). 408, 429, 5xx and network errors are retriable;
 * other answers (a wrong token, say) are not, but the shipper still keeps the events in the
 * spool and retries, so fixing the token loses nothing.
 */
export function createHttpSink(options: HttpSinkOptions): Sink {
  const headers: Record<string, string> = {
    "content-type": "application/x-ndjson",
  };
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  const newline = Buffer.from("\n");
  return {
    kind: "http",
    async send(events, signal) {
      const body = Buffer.concat(
        events.flatMap((event) => [event.value, newline]),
      );
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: "POST",
          headers,
          body,
          signal,
          // A redirect would re-send the events (and, same-origin, the gateway token) wherever
          // the answer points (issue 16): refused, kept and retried, never followed.
          redirect: "manual",
        });
      } catch (cause) {
        throw new DeliveryError("http", `cannot reach ${options.url}`, {
          cause,
        });
      }
      const text = await response.text().catch(() => "");
      if (response.status >= 300 && response.status < 400)
        throw new DeliveryError(
          "http",
          `${options.url} answered ${response.status} (redirect to ${response.headers.get("location") ?? "?"}, not followed: set the ingest URL to the final address)`,
          { retriable: true, status: response.status },
        );
      if (!response.ok) {
        const retriable =
          response.status === 408 ||
          response.status === 429 ||
          response.status >= 500;
        throw new DeliveryError(
          "http",
          `${options.url} answered ${response.status}`,
          {
            retriable,
            status: response.status,
          },
        );
      }
      let rejected = 0;
      try {
        const answer = JSON.parse(text) as IngestAnswer;
        if (typeof answer.rejected === "number") rejected = answer.rejected;
      } catch {
        // An ingest that answers 2xx without a JSON body took every line.
      }
      return { rejected };
    },
    close: () => Promise.resolve(),
  };
}
