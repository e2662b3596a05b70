import {
  cloudTrailDocumentMapper,
  createCloudTrailMapper,
} from "../core/mappers/cloudtrail.js";
import {
  DEFAULT_OTLP_MAPPING,
  otlpDocumentMapper,
  type OtlpMappingConfig,
} from "../core/mappers/otlp-genai.js";
import {
  OTLP_JSON,
  OTLP_PROTOBUF,
  encodeBadRequest,
  encodeTraceResponse,
  isProtobuf,
} from "../core/mappers/otlp-wire.js";
import {
  wardenRefusal,
  wardenReply,
  type MappedRoute,
  type RecordResult,
} from "./http-mapped.js";

/** The paths foreign formats are served on, in the ingest service and the all-in-one alike. */
export const MAPPED_PATH = {
  cloudtrail: "/v1/ingest/cloudtrail",
  /** OTLP/HTTP's standard trace path, so an exporter needs only Warden's base URL. */
  otlpTraces: "/v1/traces",
} as const;

/**
 * OTLP answers an export with an ExportTraceServiceResponse; spans Warden could not take are
 * reported as a partial success (the count, and the first reasons), never as a failure the
 * exporter would retry forever. Shared by OTLP/HTTP and OTLP/gRPC.
 */
export function partialSuccess(results: readonly RecordResult[]): {
  readonly rejected: number;
  readonly message: string;
} {
  const rejected = results.filter((result) => result.status === "rejected");
  const reasons = [
    ...new Set(
      rejected.map((result) =>
        "detail" in result ? `${result.reason}: ${result.detail}` : "",
      ),
    ),
  ].slice(0, 3);
  return { rejected: rejected.length, message: reasons.join("; ") };
}

function otlpReply(results: readonly RecordResult[], contentType: string) {
  const { rejected, message } = partialSuccess(results);
  return {
    status: 200,
    contentType: isProtobuf(contentType) ? OTLP_PROTOBUF : OTLP_JSON,
    body: encodeTraceResponse(rejected, message, contentType),
  };
}

/**
 * Every foreign-format route, built once per host (the CloudTrail mapper remembers which
 * chain obtained each temporary key across requests). Both hosts register exactly these.
 */
export function createMappedRoutes(
  otlp: OtlpMappingConfig = DEFAULT_OTLP_MAPPING,
): MappedRoute[] {
  return [
    {
      path: MAPPED_PATH.cloudtrail,
      mapper: cloudTrailDocumentMapper(createCloudTrailMapper()),
      reply: (results) => wardenReply(results),
      refuse: (detail) => wardenRefusal(detail),
    },
    {
      path: MAPPED_PATH.otlpTraces,
      mapper: otlpDocumentMapper(otlp),
      reply: otlpReply,
      refuse: (detail, contentType) => ({
        status: 400,
        contentType: isProtobuf(contentType) ? OTLP_PROTOBUF : OTLP_JSON,
        body: encodeBadRequest(detail, contentType),
      }),
    },
  ];
}
