import type { FastifyInstance } from "fastify";
import {
  REJECTION,
  type Binding,
  type BuiltEvent,
  type Rejection,
} from "../core/accept.js";
import type { GatewayCredential } from "../core/gateway-tokens.js";
import type {
  DocumentMapper,
  MappedFormat,
  MappedRecord,
} from "../core/mappers/mapper.js";
import type { IngestMetrics } from "../metrics.js";
import {
  guardIngestScope,
  requestBinding,
  type HttpIngestLimits,
  type IngestSink,
  type LineResult,
} from "./http-ingest.js";

/** A record a mapper could not turn into an audit event, kept with its own bytes. */
export interface MappedDeadLetter {
  readonly format: MappedFormat;
  readonly raw: Buffer;
  readonly reason: Rejection;
  readonly detail: string;
}

/** Where unmappable records go: agent.audit.dlq in cluster mode, the embedded table all-in-one. */
export type DeadLetterSink = (
  letters: readonly MappedDeadLetter[],
  binding: Binding,
) => Promise<void>;

/** What one request's records became, in record order (1-based `line`). */
export type RecordResult =
  | LineResult
  | {
      readonly line: number;
      readonly status: "skipped";
      readonly skip: string;
    };

export interface MappedReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

/** One foreign format served on one path, answering in that format's own terms. */
export interface MappedRoute {
  readonly path: string;
  readonly mapper: DocumentMapper;
  /** The answer to a decoded request (OTLP wants ExportTraceServiceResponse, not Warden's). */
  reply(results: readonly RecordResult[], contentType: string): MappedReply;
  /** The answer to a body that is not the format at all. */
  refuse(detail: string, contentType: string): MappedReply;
}

/** Warden's own answer, as `POST /v1/events` gives it: counts and a result per record. */
export function wardenReply(results: readonly RecordResult[]): MappedReply {
  const count = (status: RecordResult["status"]) =>
    results.filter((result) => result.status === status).length;
  return {
    status: 202,
    contentType: "application/json",
    body: JSON.stringify({
      accepted: count("accepted"),
      rejected: count("rejected"),
      duplicates: count("duplicate"),
      skipped: count("skipped"),
      results,
    }),
  };
}

export function wardenRefusal(detail: string): MappedReply {
  return {
    status: 400,
    contentType: "application/json",
    body: JSON.stringify({ error: "invalid_document", message: detail }),
  };
}

/**
 * Runs one decoded document: events go through the host's ingest sink (every check of
 * `/v1/events`, the tenant from the credential), unmappable records to the dead-letter sink,
 * skips are counted. Every record gets exactly one result. Each event is serialised once (the
 * record a cluster produces, the size rule, a dead letter) and handed over as built, never
 * parsed back: that round trip was most of what OTLP cost over `/v1/events`.
 */
export async function ingestMapped(
  format: MappedFormat,
  records: readonly MappedRecord[],
  binding: Binding,
  ports: {
    readonly sink: IngestSink;
    readonly deadLetter: DeadLetterSink;
    readonly metrics: IngestMetrics;
  },
): Promise<RecordResult[]> {
  const messages: BuiltEvent[] = [];
  const letters: MappedDeadLetter[] = [];
  const results: (RecordResult | number)[] = records.map((record, index) => {
    const { outcome } = record;
    if (outcome.kind === "skipped")
      return { line: index + 1, status: "skipped", skip: outcome.skip };
    if (outcome.kind === "unmappable") {
      letters.push({
        format,
        raw: record.raw(),
        reason: REJECTION.unmappableRecord,
        detail: outcome.detail,
      });
      return {
        line: index + 1,
        status: "rejected",
        reason: REJECTION.unmappableRecord,
        detail: outcome.detail,
      };
    }
    messages.push({
      event: outcome.event,
      bytes: Buffer.from(JSON.stringify(outcome.event), "utf8"),
      conforms: outcome.conforms === true,
    });
    return messages.length - 1;
  });
  await ports.deadLetter(letters, binding);
  ports.metrics.countMapped(format, records, letters.length);
  const sunk = messages.length > 0 ? await ports.sink(messages, binding) : [];
  return results.map((result, index) => {
    if (typeof result !== "number") return result;
    const line = sunk[result] as LineResult;
    // The sink numbers events from 1; they keep their record's number (no copy while equal).
    return line.line === index + 1 ? line : { ...line, line: index + 1 };
  });
}

/**
 * Routes for foreign formats, on a scope guarded exactly as `POST /v1/events` is (bearer
 * credential → tenant binding, Host/Origin checks, rate limit, body and in-flight caps, gzip).
 * The record cap is the same `maxLines`.
 */
export async function registerMappedIngest(
  app: FastifyInstance,
  options: {
    readonly tokens: readonly GatewayCredential[];
    readonly limits: HttpIngestLimits;
    readonly metrics: IngestMetrics;
    readonly sink: IngestSink;
    readonly deadLetter: DeadLetterSink;
    readonly routes: readonly MappedRoute[];
    readonly backlog?: () => string | undefined;
  },
): Promise<void> {
  const { limits, metrics, routes } = options;
  await app.register(async (scope) => {
    await guardIngestScope(scope, {
      tokens: options.tokens,
      limits,
      metrics,
      ...(options.backlog ? { backlog: options.backlog } : {}),
      contentTypes: [
        ...new Set(routes.flatMap((route) => route.mapper.contentTypes)),
      ],
    });
    for (const route of routes)
      scope.post(route.path, async (request, reply) => {
        const contentType = request.headers["content-type"] ?? "";
        const send = (answer: MappedReply) =>
          reply
            .code(answer.status)
            .type(answer.contentType)
            .send(
              typeof answer.body === "string"
                ? answer.body
                : Buffer.from(answer.body),
            );
        const decoded = route.mapper.decode(
          request.body as Buffer,
          contentType,
        );
        if (!decoded.ok) return send(route.refuse(decoded.detail, contentType));
        if (decoded.records.length > limits.maxLines) {
          metrics.httpRefused.labels("too_many_lines").inc();
          return reply.code(413).send({
            error: "too_many_lines",
            message: `${decoded.records.length} records, limit ${limits.maxLines} per request`,
          });
        }
        const results = await ingestMapped(
          route.mapper.format,
          decoded.records,
          requestBinding(request),
          options,
        );
        return send(route.reply(results, contentType));
      });
  });
}
