import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { SUPPORTED_SCHEMA } from "../accept.js";
import type { AuditEventV1 } from "@warden/shared";
import { awsService, cloudTrailAction } from "./cloudtrail-actions.js";
import { cloudTrailPrincipal, obj } from "./cloudtrail-identity.js";
import { cloudTrailResource } from "./cloudtrail-resource.js";
import {
  MAPPED_FORMAT,
  SKIP_KIND,
  clip,
  quote,
  unmappable,
  type DecodedDocument,
  type DocumentMapper,
  type MapOutcome,
  type MappedRecord,
} from "./mapper.js";

/**
 * CloudTrail log file records (`{"Records": [...]}`, record version 1.x: AWS CloudTrail User
 * Guide, "CloudTrail record contents") → audit event v1. The table of fields is in
 * services/ingest/MAPPINGS.md.
 */
export const CLOUDTRAIL_SPEC =
  "CloudTrail record contents, eventVersion 1.0–1.11";
export const DEFAULT_CLOUDTRAIL_SESSIONS = 100_000;

type Json = Record<string, unknown>;

/**
 * `errorCode`s that mean the caller was not allowed (as opposed to a failed call). AWS
 * services spell it many ways: `AccessDenied`, `AccessDeniedException`,
 * `Client.UnauthorizedOperation`, `UnauthorizedAccess`, `AuthorizationError`, …
 */
const DENIED_CODE =
  /AccessDenied|Unauthorized|NotAuthorized|Forbidden|AuthFailure|AuthorizationError|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|MissingAuthenticationToken/i;

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function outcomeOf(record: Json): AuditEventV1["outcome"] {
  const code = str(record["errorCode"]);
  if (code) return DENIED_CODE.test(code) ? "denied" : "error";
  // Console sign-ins report failure in responseElements, not errorCode.
  if (obj(record["responseElements"])?.["ConsoleLogin"] === "Failure")
    return "denied";
  return "success";
}

/**
 * `AKIA…` keys are long-lived IAM user keys, `ASIA…` temporary STS credentials. A call with
 * no key (AWS services, console sessions) gets a credential named after the identity, so
 * the detectors' per-credential views still hold one entry per principal.
 */
function credentialOf(
  identity: Json | undefined,
  agentId: string,
  eventName: string,
): AuditEventV1["credential"] {
  const key = str(identity?.["accessKeyId"]);
  if (key?.startsWith("AKIA"))
    return { id: key, type: "api_key", issuer: "iam.amazonaws.com" };
  if (key?.startsWith("ASIA"))
    return { id: key, type: "jit_token", issuer: "sts.amazonaws.com" };
  if (key) return { id: clip(key, 256), type: "other" };
  if (eventName === "ConsoleLogin")
    return { id: clip(`console:${agentId}`, 256), type: "password" };
  return { id: clip(`none:${agentId}`, 256), type: "other" };
}

function attributesOf(
  record: Json,
  identityType: string,
  accountId: string | undefined,
): Json {
  const identity = obj(record["userIdentity"]);
  const context = obj(identity?.["sessionContext"]);
  const mfa = obj(context?.["attributes"])?.["mfaAuthenticated"];
  const recipient = str(record["recipientAccountId"]);
  const entries: [string, unknown][] = [
    ["aws.identity_type", identityType],
    ["aws.account_id", recipient],
    ["aws.principal_account_id", accountId],
    [
      "aws.cross_account",
      recipient && accountId ? recipient !== accountId : undefined,
    ],
    ["aws.region", str(record["awsRegion"])],
    ["aws.event_type", str(record["eventType"])],
    ["aws.event_category", str(record["eventCategory"])],
    ["aws.event_version", str(record["eventVersion"])],
    [
      "aws.read_only",
      typeof record["readOnly"] === "boolean" ? record["readOnly"] : undefined,
    ],
    [
      "aws.management_event",
      typeof record["managementEvent"] === "boolean"
        ? record["managementEvent"]
        : undefined,
    ],
    ["aws.request_id", str(record["requestID"])],
    ["aws.shared_event_id", str(record["sharedEventID"])],
    ["aws.vpc_endpoint_id", str(record["vpcEndpointId"])],
    ["aws.error_code", str(record["errorCode"])],
    [
      "aws.error_message",
      str(record["errorMessage"]) && clip(String(record["errorMessage"]), 256),
    ],
    ["aws.invoked_by", str(identity?.["invokedBy"])],
    ["aws.source_identity", str(context?.["sourceIdentity"])],
    [
      "aws.mfa_authenticated",
      mfa === "true" ? true : mfa === "false" ? false : undefined,
    ],
    ["aws.credential_kind", longevity(str(identity?.["accessKeyId"]))],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

function longevity(key: string | undefined): string | undefined {
  if (key?.startsWith("AKIA")) return "long-lived";
  if (key?.startsWith("ASIA")) return "temporary";
  return undefined;
}

function eventIdOf(record: Json): string {
  const id = str(record["eventID"]);
  if (id && id.length >= 8 && id.length <= 128) return id;
  // Some exported trails drop eventID: a digest of the record keeps replays idempotent.
  return `ct-sha256:${createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 40)}`;
}

function bytesOf(record: Json): Pick<AuditEventV1, "bytes_out" | "bytes_in"> {
  const extra = obj(record["additionalEventData"]);
  const out = extra?.["bytesTransferredOut"];
  const into = extra?.["bytesTransferredIn"];
  const whole = (n: unknown) =>
    typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  const bytesOut = whole(out);
  const bytesIn = whole(into);
  return {
    ...(bytesOut !== undefined ? { bytes_out: bytesOut } : {}),
    ...(bytesIn !== undefined ? { bytes_in: bytesIn } : {}),
  };
}

export interface CloudTrailMapper {
  /** Maps one record of a trail; records of a trail are best given in file order. */
  map(record: unknown): MapOutcome;
}

/**
 * Remembers which chain obtained each temporary key (`sts:AssumeRole` response →
 * `credentials.accessKeyId`), so the role's later calls with that key carry the delegation
 * chain from the caller down to the role. Bounded: the least recently used keys go first.
 */
export function createCloudTrailMapper(
  options: { readonly maxSessions?: number } = {},
): CloudTrailMapper {
  const chains = new LRUCache<string, readonly string[]>({
    max: options.maxSessions ?? DEFAULT_CLOUDTRAIL_SESSIONS,
  });

  function rememberDelegation(
    record: Json,
    callerChain: readonly string[],
  ): void {
    const response = obj(record["responseElements"]);
    const key = str(obj(response?.["credentials"])?.["accessKeyId"]);
    const roleArn = str(obj(record["requestParameters"])?.["roleArn"]);
    if (!key || !roleArn) return;
    chains.set(key, [...callerChain, roleArn].slice(-32));
  }

  return {
    map(input) {
      const record = obj(input);
      if (!record) return unmappable("/ record is not a JSON object");
      const eventType = str(record["eventType"]);
      if (
        eventType === "AwsCloudTrailInsight" ||
        record["insightDetails"] !== undefined
      )
        return { kind: "skipped", skip: SKIP_KIND.insight };
      const eventTime = str(record["eventTime"]);
      if (!eventTime || !Number.isFinite(Date.parse(eventTime)))
        return unmappable(
          eventTime
            ? `/eventTime ${quote(eventTime)} is not a time`
            : "/eventTime is missing",
        );
      const eventSource = str(record["eventSource"]);
      const eventName = str(record["eventName"]);
      if (!eventSource) return unmappable("/eventSource is missing");
      if (!eventName) return unmappable("/eventName is missing");
      const resolved = cloudTrailPrincipal(record["userIdentity"]);
      if (!resolved.ok) return unmappable(resolved.detail);
      const { principal } = resolved;
      const identity = obj(record["userIdentity"]);
      const credential = credentialOf(identity, principal.agent.id, eventName);
      const known = chains.get(credential.id);
      const delegation =
        known && known.at(-1) === principal.agent.id ? known : undefined;
      const action = cloudTrailAction(
        eventSource,
        eventName,
        typeof record["readOnly"] === "boolean"
          ? record["readOnly"]
          : undefined,
      );
      const outcome = outcomeOf(record);
      if (action.verb === "delegate" && outcome === "success")
        rememberDelegation(record, delegation ?? [principal.agent.id]);
      const resource = cloudTrailResource(record, awsService(eventSource));
      const ip = str(record["sourceIPAddress"]);
      const userAgent = str(record["userAgent"]);
      const event: AuditEventV1 = {
        schema: SUPPORTED_SCHEMA,
        event_id: eventIdOf(record),
        time: eventTime,
        agent: principal.agent,
        ...(principal.onBehalfOf ? { on_behalf_of: principal.onBehalfOf } : {}),
        ...(delegation ? { delegation: [...delegation] } : {}),
        credential,
        action: {
          name: clip(action.name, 256),
          verb: action.verb,
          target: eventSource,
        },
        resource: { ...resource, sensitivity: action.sensitivity },
        outcome,
        ...bytesOf(record),
        ...(ip || userAgent
          ? {
              source: {
                ...(ip ? { ip: clip(ip, 64) } : {}),
                ...(userAgent ? { user_agent: clip(userAgent, 512) } : {}),
              },
            }
          : {}),
        ...(principal.sessionId ? { session_id: principal.sessionId } : {}),
        attributes: attributesOf(
          record,
          principal.identityType,
          principal.accountId,
        ),
      };
      return { kind: "event", event };
    },
  };
}

/** A CloudTrail digest file: integrity hashes of log files, no actions. */
export function isCloudTrailDigest(document: Json): boolean {
  return (
    document["Records"] === undefined &&
    (document["digestStartTime"] !== undefined ||
      document["logFiles"] !== undefined)
  );
}

/**
 * `POST /v1/ingest/cloudtrail`: one log file, as CloudTrail writes it to S3 (`{"Records":
 * [...]}`), or a digest file (skipped and counted). `mapper` keeps delegation memory across
 * requests.
 */
export function cloudTrailDocumentMapper(
  mapper: CloudTrailMapper,
): DocumentMapper {
  return {
    format: MAPPED_FORMAT.cloudtrail,
    spec: CLOUDTRAIL_SPEC,
    contentTypes: ["application/json"],
    decode(body): DecodedDocument {
      let document: unknown;
      try {
        document = JSON.parse(body.toString("utf8"));
      } catch (error) {
        return {
          ok: false,
          detail: `body is not JSON: ${error instanceof Error ? error.message : "unparseable"}`,
        };
      }
      const top = obj(document);
      if (!top)
        return {
          ok: false,
          detail: 'body is not a CloudTrail log file ({"Records": [...]})',
        };
      if (isCloudTrailDigest(top))
        return {
          ok: true,
          records: [
            {
              outcome: { kind: "skipped", skip: SKIP_KIND.digest },
              raw: () => body,
            },
          ],
        };
      const records = top["Records"];
      if (!Array.isArray(records))
        return { ok: false, detail: "/Records is missing or not an array" };
      return {
        ok: true,
        records: records.map((record): MappedRecord => ({
          outcome: mapper.map(record),
          raw: () => Buffer.from(JSON.stringify(record) ?? "null", "utf8"),
        })),
      };
    },
  };
}
