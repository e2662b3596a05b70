import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  OPEN_BINDING,
  type Binding,
  type IngestMessage,
  type Rejection,
} from "../core/accept.js";
import {
  authenticateBearer,
  type GatewayCredential,
} from "../core/gateway-tokens.js";
import { refusal, type HttpRefusal } from "../core/request-guard.js";
import { splitRequestBody } from "../core/request-body.js";
import type { IngestMetrics } from "../metrics.js";

export const DEFAULT_HTTP_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_HTTP_RATE_LIMIT = 100;
export const DEFAULT_HTTP_RATE_WINDOW_MS = 1000;
/** Each line costs a result, a record and maybe a dead letter: the line count is the real cap. */
export const DEFAULT_HTTP_MAX_LINES = 10_000;
export const DEFAULT_HTTP_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

export interface HttpIngestLimits {
  /** Largest body after decompression (and before, for uncompressed bodies). */
  readonly maxBodyBytes: number;
  /** Requests per gateway token per window. */
  readonly rateLimit: number;
  readonly rateWindowMs: number;
  /** Most messages in one request. */
  readonly maxLines: number;
  /** Request bytes (raw and inflated) held by all requests in progress at once. */
  readonly maxInFlightBytes: number;
}

export type LineResult =
  | { readonly line: number; readonly status: "accepted" | "duplicate" }
  | {
      readonly line: number;
      readonly status: "rejected";
      readonly reason: Rejection;
      readonly detail: string;
    };

/**
 * Where posted messages go: cluster mode produces them to agent.audit.v1, all-in-one mode
 * runs them through the in-process pipeline. Returns one result per message, in order.
 * `binding` is the authenticated gateway (its tenant is stamped on every event). Messages are
 * a gateway's bytes (`/v1/events`) or events a mapper built (OTLP, CloudTrail).
 */
export type IngestSink = (
  messages: readonly IngestMessage[],
  binding: Binding,
) => Promise<LineResult[]>;

const gunzipAsync = promisify(gunzip);

const bindingOf = new WeakMap<FastifyRequest, Binding>();
const heldBytes = new WeakMap<FastifyRequest, number>();

/** The gateway binding the guard authenticated for this request. */
export function requestBinding(request: FastifyRequest): Binding {
  return bindingOf.get(request) ?? OPEN_BINDING;
}

export interface IngestGuardOptions {
  readonly tokens: readonly GatewayCredential[];
  readonly limits: HttpIngestLimits;
  readonly metrics: IngestMetrics;
  /** Content types this scope parses (each as a raw, possibly gzipped buffer). */
  readonly contentTypes: readonly string[];
  /**
   * Why the host cannot take more right now (a store falling behind), or undefined: the
   * request is then refused 503 `backlog` before its body is read, so the backlog stays bounded.
   */
  readonly backlog?: () => string | undefined;
}

/**
 * Everything an ingest route needs before it sees a body, on one encapsulated Fastify
 * scope, so every ingest route (audit events, OTLP, CloudTrail …) is guarded the same way:
 * loopback Host and Origin checks (DNS rebinding, cross-site posts), bearer authentication
 * binding the request to a gateway credential, a rate limit per gateway, an in-flight byte
 * budget, and body parsers only for the listed (non-"simple", so preflighted) content types.
 * Register routes on the same scope after calling this; read the gateway with
 * {@link requestBinding}.
 */
export async function guardIngestScope(
  scope: FastifyInstance,
  options: IngestGuardOptions,
): Promise<void> {
  const { tokens, limits, metrics } = options;
  let inFlightBytes = 0;
  const refuse = (reply: FastifyReply, refused: HttpRefusal) => {
    metrics.httpRefused.labels(refused.reason).inc();
    if (refused.status === 401)
      void reply.header("www-authenticate", 'Bearer realm="warden-ingest"');
    if (refused.status === 503) void reply.header("retry-after", "1");
    return reply
      .code(refused.status)
      .send({ error: refused.reason, message: refused.message });
  };
  const hold = (request: FastifyRequest, bytes: number): boolean => {
    if (inFlightBytes + bytes > limits.maxInFlightBytes) return false;
    inFlightBytes += bytes;
    heldBytes.set(request, (heldBytes.get(request) ?? 0) + bytes);
    return true;
  };
  const release = (request: FastifyRequest) => {
    inFlightBytes -= heldBytes.get(request) ?? 0;
    heldBytes.delete(request);
  };
  scope.addHook("onResponse", (request, reply, done) => {
    release(request);
    metrics.httpRequests.labels(String(reply.statusCode)).inc();
    done();
  });
  scope.addHook("onRequestAbort", (request, done) => {
    release(request);
    done();
  });
  scope.addHook("onRequest", async (request, reply) => {
    const refused = refusal({
      host: request.headers.host,
      origin: request.headers.origin,
      authenticated: tokens.length > 0,
    });
    if (refused) return refuse(reply, refused);
    const behind = options.backlog?.();
    if (behind !== undefined)
      return refuse(reply, { status: 503, reason: "backlog", message: behind });
    if (tokens.length === 0) {
      bindingOf.set(request, OPEN_BINDING);
    } else {
      const credential = authenticateBearer(
        request.headers.authorization,
        tokens,
      );
      if (!credential)
        return refuse(reply, {
          status: 401,
          reason: "unauthorized",
          message: "a valid gateway bearer token is required",
        });
      bindingOf.set(request, { kind: "gateway", credential });
    }
    // Reserve the declared size now, or the whole limit when none is declared (chunked).
    const declared = Number(request.headers["content-length"]);
    if (
      !hold(
        request,
        Number.isFinite(declared) && declared >= 0
          ? Math.min(declared, limits.maxBodyBytes)
          : limits.maxBodyBytes,
      )
    )
      return refuse(reply, {
        status: 503,
        reason: "in_flight_bytes",
        message: `ingest holds ${limits.maxInFlightBytes} request bytes already; retry`,
      });
    return undefined;
  });
  // onRequest, after authentication: a flood of oversized bodies is limited before any is read.
  await scope.register(rateLimit, {
    hook: "onRequest",
    max: limits.rateLimit,
    timeWindow: limits.rateWindowMs,
    keyGenerator: (request) => {
      const binding = requestBinding(request);
      return binding.kind === "gateway" ? binding.credential.gateway : "";
    },
    onExceeded: () => metrics.httpRefused.labels("rate_limited").inc(),
  });
  // Fastify's defaults would take text/plain, a "simple" type a web page may post without a
  // preflight; only the listed types are parsed, anything else is 415.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    [...options.contentTypes],
    { parseAs: "buffer", bodyLimit: limits.maxBodyBytes },
    (request, body, done) => {
      const raw = body as Buffer;
      if (request.headers["content-encoding"] !== "gzip") {
        done(null, raw);
        return;
      }
      gunzipAsync(raw, { maxOutputLength: limits.maxBodyBytes }).then(
        (inflated) => {
          if (hold(request, inflated.length)) return done(null, inflated);
          metrics.httpRefused.labels("in_flight_bytes").inc();
          return done(
            Object.assign(
              new Error(
                `ingest holds ${limits.maxInFlightBytes} request bytes already; retry`,
              ),
              { statusCode: 503 },
            ),
          );
        },
        (error: unknown) => {
          const tooLarge =
            error instanceof RangeError ||
            (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
          metrics.httpRefused.labels(tooLarge ? "too_large" : "bad_gzip").inc();
          done(
            Object.assign(
              new Error(
                tooLarge
                  ? `body inflates beyond ${limits.maxBodyBytes} bytes`
                  : "body is not valid gzip",
              ),
              { statusCode: tooLarge ? 413 : 400 },
            ),
          );
        },
      );
    },
  );
}

/**
 * POST /v1/events: NDJSON (application/x-ndjson) or a JSON array (application/json),
 * optionally `Content-Encoding: gzip`; guarded by {@link guardIngestScope}; 202 with a
 * result per message, at most `maxLines` messages per request.
 */
export async function registerHttpIngest(
  app: FastifyInstance,
  options: {
    readonly tokens: readonly GatewayCredential[];
    readonly limits: HttpIngestLimits;
    readonly metrics: IngestMetrics;
    readonly sink: IngestSink;
    readonly backlog?: () => string | undefined;
  },
): Promise<void> {
  const { limits, metrics, sink } = options;
  await app.register(async (scope) => {
    await guardIngestScope(scope, {
      ...options,
      contentTypes: ["application/x-ndjson", "application/json"],
    });
    scope.post("/v1/events", async (request, reply) => {
      const split = splitRequestBody(
        request.body as Buffer,
        request.headers["content-type"] ?? "",
        limits.maxLines,
      );
      if (!split.ok) {
        if (split.tooMany) metrics.httpRefused.labels("too_many_lines").inc();
        return split.tooMany
          ? reply
              .code(413)
              .send({ error: "too_many_lines", message: split.detail })
          : reply
              .code(400)
              .send({ error: "invalid_json", message: split.detail });
      }
      const results = await sink(split.messages, requestBinding(request));
      const count = (status: LineResult["status"]) =>
        results.filter((result) => result.status === status).length;
      return reply.code(202).send({
        accepted: count("accepted"),
        rejected: count("rejected"),
        duplicates: count("duplicate"),
        results,
      });
    });
  });
}
