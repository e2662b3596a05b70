import {
  cloudTrailDocumentMapper,
  createCloudTrailMapper,
} from "../core/mappers/cloudtrail.js";
import { wardenRefusal, wardenReply, type MappedRoute } from "./http-mapped.js";

/** The paths foreign formats are served on, in the ingest service and the all-in-one alike. */
export const MAPPED_PATH = {
  cloudtrail: "/v1/ingest/cloudtrail",
} as const;

/**
 * Every foreign-format route, built once per host (the CloudTrail mapper remembers which
 * chain obtained each temporary key across requests). Both hosts register exactly these.
 */
export function createMappedRoutes(): MappedRoute[] {
  return [
    {
      path: MAPPED_PATH.cloudtrail,
      mapper: cloudTrailDocumentMapper(createCloudTrailMapper()),
      reply: (results) => wardenReply(results),
      refuse: (detail) => wardenRefusal(detail),
    },
  ];
}
