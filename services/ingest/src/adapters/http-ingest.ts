import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Rejection } from "../core/accept.js";
import {
  authenticateBearer,
  type GatewayToken,
} from "../core/gateway-tokens.js";
import { splitRequestBody } from "../core/request-body.js";
import type { IngestMetrics } from "../metrics.js";

export const DEFAULT_HTTP_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_HTTP_RATE_LIMIT = 100;
export const DEFAULT_HTTP_RATE_WINDOW_MS = 1000;

export interface HttpIngestLimits {
  /** Largest body after decompression (and before, for uncompressed bodies). */
  readonly maxBodyBytes: number;
  /** Requests per gateway token per window. */
  readonly rateLimit: number;
  readonly rateWindowMs: number;
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
 */
export type IngestSink = (
  messages: readonly Buffer[],
  gateway: string | undefined,
) => Promise<LineResult[]>;

const gunzipAsync = promisify(gunzip);
const ANONYMOUS = "anonymous";

const gatewayOf = new WeakMap<FastifyRequest, string>();

/**
 * POST /v1/events: NDJSON (application/x-ndjson) or a JSON array (application/json),
 * optionally `Content-Encoding: gzip`; bearer token per gateway (constant-time, hashed),
 * rate-limited per token; 202 with a result per message.
 */
export async function registerHttpIngest(
  app: FastifyInstance,
  options: {
    readonly tokens: readonly GatewayToken[];
    readonly limits: HttpIngestLimits;
    readonly metrics: IngestMetrics;
    readonly sink: IngestSink;
  },
): Promise<void> {
  const { tokens, limits, metrics, sink } = options;
  await app.register(async (scope) => {
    scope.addHook("onResponse", (_request, reply, done) => {
      metrics.httpRequests.labels(String(reply.statusCode)).inc();
      done();
    });
    scope.addHook("onRequest", async (request, reply) => {
      if (tokens.length === 0) {
        gatewayOf.set(request, ANONYMOUS);
        return;
      }
      const gateway = authenticateBearer(request.headers.authorization, tokens);
      if (!gateway) {
        await reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="warden-ingest"')
          .send({
            error: "unauthorized",
            message: "a valid gateway bearer token is required",
          });
        return;
      }
      gatewayOf.set(request, gateway);
    });
    // onRequest, after authentication: a flood of oversized bodies is limited before any is read.
    await scope.register(rateLimit, {
      hook: "onRequest",
      max: limits.rateLimit,
      timeWindow: limits.rateWindowMs,
      keyGenerator: (request) => gatewayOf.get(request) ?? ANONYMOUS,
    });
    scope.addContentTypeParser(
      ["application/x-ndjson", "application/json", "text/plain"],
      { parseAs: "buffer", bodyLimit: limits.maxBodyBytes },
      (request, body, done) => {
        const raw = body as Buffer;
        if (request.headers["content-encoding"] !== "gzip") {
          done(null, raw);
          return;
        }
        gunzipAsync(raw, { maxOutputLength: limits.maxBodyBytes }).then(
          (inflated) => done(null, inflated),
          (error: unknown) => {
            const tooLarge =
              error instanceof RangeError ||
              (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
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
    scope.post("/v1/events", async (request, reply) => {
      const split = splitRequestBody(
        request.body as Buffer,
        request.headers["content-type"] ?? "",
      );
      if (!split.ok)
        return reply
          .code(400)
          .send({ error: "invalid_json", message: split.detail });
      const gateway = gatewayOf.get(request);
      const results = await sink(
        split.messages,
        gateway === ANONYMOUS ? undefined : gateway,
      );
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
