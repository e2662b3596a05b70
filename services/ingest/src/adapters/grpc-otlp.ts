import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { OPEN_BINDING, type Binding } from "../core/accept.js";
import {
  authenticateBearer,
  type GatewayCredential,
} from "../core/gateway-tokens.js";
import {
  otlpDocumentMapper,
  type OtlpMappingConfig,
} from "../core/mappers/otlp-genai.js";
import {
  OTLP_PROTOBUF,
  encodeTraceResponse,
} from "../core/mappers/otlp-wire.js";
import type { IngestMetrics } from "../metrics.js";
import type { HttpIngestLimits, IngestSink } from "./http-ingest.js";
import { ingestMapped, type DeadLetterSink } from "./http-mapped.js";
import { partialSuccess } from "./mapped-routes.js";

/** OTLP/gRPC's trace method (opentelemetry/proto/collector/trace/v1/trace_service.proto). */
export const OTLP_GRPC_EXPORT_PATH =
  "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// Raw bytes both ways: the request goes to the same protobuf reader as OTLP/HTTP's, the
// response is encoded by the same ExportTraceServiceResponse writer.
const identity = (bytes: Buffer) => bytes;
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: OTLP_GRPC_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface OtlpGrpcOptions {
  readonly host: string;
  readonly port: number;
  readonly tokens: readonly GatewayCredential[];
  readonly limits: HttpIngestLimits;
  readonly metrics: IngestMetrics;
  readonly sink: IngestSink;
  readonly deadLetter: DeadLetterSink;
  readonly mapping: OtlpMappingConfig;
}

type Refusal = { readonly code: status; readonly details: string };

/**
 * Requests per gateway per window, the same budget as HTTP ingest's rate limit (a fixed
 * window, counted before the spans are decoded).
 */
function windowLimiter(limit: number, windowMs: number) {
  let windowStart = 0;
  const counts = new Map<string, number>();
  return (key: string, nowMs: number): boolean => {
    if (nowMs - windowStart >= windowMs) {
      windowStart = nowMs;
      counts.clear();
    }
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    return count <= limit;
  };
}

function bindingOf(
  metadata: Metadata,
  tokens: readonly GatewayCredential[],
): Binding | Refusal {
  if (tokens.length === 0) return OPEN_BINDING;
  const [authorization] = metadata.get("authorization");
  const credential = authenticateBearer(
    typeof authorization === "string" ? authorization : undefined,
    tokens,
  );
  return credential
    ? { kind: "gateway", credential }
    : {
        code: status.UNAUTHENTICATED,
        details: "a valid gateway bearer token is required",
      };
}

/**
 * OTLP/gRPC: `TraceService/Export` on its own port, the spans read from the raw request by the
 * OTLP/HTTP decoder and then the very path of `POST /v1/traces` (the gateway token from the
 * `authorization` metadata, its tenant stamped, the same body, record, in-flight and rate
 * caps, dead letters and counts). Refusals use the status codes OTLP assigns: UNAUTHENTICATED,
 * INVALID_ARGUMENT (never retried), UNAVAILABLE (retried with backoff) for the rate limit and
 * the in-flight budget. Plaintext, like the HTTP port: terminate TLS in front of it.
 */
export async function startOtlpGrpcServer(
  options: OtlpGrpcOptions,
): Promise<{ readonly port: number; stop(): Promise<void> }> {
  const { limits, metrics } = options;
  const mapper = otlpDocumentMapper(options.mapping);
  const allow = windowLimiter(limits.rateLimit, limits.rateWindowMs);
  let inFlightBytes = 0;

  async function exportSpans(
    request: Buffer,
    metadata: Metadata,
  ): Promise<Buffer | Refusal> {
    const binding = bindingOf(metadata, options.tokens);
    if ("code" in binding) return binding;
    const gateway =
      binding.kind === "gateway" ? binding.credential.gateway : "";
    if (!allow(gateway, Date.now()))
      return {
        code: status.UNAVAILABLE,
        details: `more than ${limits.rateLimit} requests per ${limits.rateWindowMs} ms from this gateway; retry later`,
      };
    if (inFlightBytes + request.length > limits.maxInFlightBytes)
      return {
        code: status.UNAVAILABLE,
        details: `ingest holds ${limits.maxInFlightBytes} request bytes already; retry`,
      };
    inFlightBytes += request.length;
    try {
      const decoded = mapper.decode(request, OTLP_PROTOBUF);
      if (!decoded.ok)
        return { code: status.INVALID_ARGUMENT, details: decoded.detail };
      if (decoded.records.length > limits.maxLines)
        return {
          code: status.INVALID_ARGUMENT,
          details: `${decoded.records.length} spans, limit ${limits.maxLines} per request`,
        };
      const results = await ingestMapped(
        mapper.format,
        decoded.records,
        binding,
        options,
      );
      const { rejected, message } = partialSuccess(results);
      return Buffer.from(encodeTraceResponse(rejected, message, OTLP_PROTOBUF));
    } finally {
      inFlightBytes -= request.length;
    }
  }

  const server = new Server({
    // Bodies over the cap are refused by grpc-js (RESOURCE_EXHAUSTED) before any decoding,
    // compressed ones once inflated past it.
    "grpc.max_receive_message_length": limits.maxBodyBytes,
  });
  server.addService(TRACE_SERVICE, {
    Export(
      call: ServerUnaryCall<Buffer, Buffer>,
      callback: sendUnaryData<Buffer>,
    ) {
      exportSpans(call.request, call.metadata).then(
        (answer) => {
          if (Buffer.isBuffer(answer)) {
            metrics.grpcRequests.labels(status[status.OK]).inc();
            callback(null, answer);
          } else {
            metrics.grpcRequests.labels(status[answer.code]).inc();
            callback({ code: answer.code, details: answer.details });
          }
        },
        () => {
          // A sink that failed (the broker unreachable): the exporter retries later. The cause
          // stays in the service (its producer logs it), not in an answer to the network.
          metrics.grpcRequests.labels(status[status.UNAVAILABLE]).inc();
          callback({
            code: status.UNAVAILABLE,
            details: "ingest could not take the spans now; retry",
          });
        },
      );
    },
  });
  const address = options.host.includes(":")
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      address,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        // Calls in progress finish (their spans are in flight to the sink); new ones are refused.
        const force = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
