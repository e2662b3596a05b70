import type { AuditEventV1 } from "@warden/shared";
import { clip } from "./mapper.js";
import { obj } from "./cloudtrail-identity.js";

type Resource = NonNullable<AuditEventV1["resource"]>;
const MAX_RESOURCE_ID = 512;

/**
 * `requestParameters` keys that name the resource acted on, most specific first, with the
 * resource type each implies. Keys AWS uses across many services (`name`, `*Arn`) come last.
 */
const RESOURCE_KEYS: readonly (readonly [string, string])[] = [
  ["policyArn", "iam:policy"],
  ["roleArn", "iam:role"],
  ["roleName", "iam:role"],
  ["userName", "iam:user"],
  ["groupName", "iam:group"],
  ["instanceProfileName", "iam:instance-profile"],
  ["accessKeyId", "iam:access-key"],
  ["keyId", "kms:key"],
  ["secretId", "secretsmanager:secret"],
  ["functionName", "lambda:function"],
  ["tableName", "dynamodb:table"],
  ["queueUrl", "sqs:queue"],
  ["topicArn", "sns:topic"],
  ["logGroupName", "logs:log-group"],
  ["trailName", "cloudtrail:trail"],
  ["detectorId", "guardduty:detector"],
  ["snapshotId", "ec2:snapshot"],
  ["imageId", "ec2:image"],
  ["volumeId", "ec2:volume"],
  ["instanceId", "ec2:instance"],
  ["groupId", "ec2:security-group"],
  ["dBInstanceIdentifier", "rds:db"],
  ["dBSnapshotIdentifier", "rds:snapshot"],
  ["dBClusterIdentifier", "rds:cluster"],
  ["clusterName", "cluster"],
  ["stackName", "cloudformation:stack"],
  ["repositoryName", "repository"],
  ["accountId", "account"],
  ["targetId", "organizations:target"],
  ["resourceArn", "resource"],
  ["resourceId", "resource"],
  ["name", "name"],
  ["arn", "resource"],
];

function first(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  // EC2 wraps lists as { items: [{ instanceId }] } (e.g. instancesSet).
  const items = obj(value)?.["items"];
  if (Array.isArray(items)) {
    const head = obj(items[0]);
    const id = head && Object.values(head).find((v) => typeof v === "string");
    return typeof id === "string" ? id : undefined;
  }
  return undefined;
}

function s3Resource(params: Record<string, unknown>): Resource | undefined {
  const bucket = first(params["bucketName"]);
  if (!bucket) return undefined;
  const key = first(params["key"]);
  return key
    ? {
        id: clip(`arn:aws:s3:::${bucket}/${key}`, MAX_RESOURCE_ID),
        type: "s3:object",
      }
    : {
        id: clip(`arn:aws:s3:::${bucket}`, MAX_RESOURCE_ID),
        type: "s3:bucket",
      };
}

/**
 * The resource of a record: an ARN from CloudTrail's own `resources` list when there is one
 * (data events and some management events carry it), else the first known key of
 * `requestParameters` (S3 bucket + key as an ARN).
 */
export function cloudTrailResource(
  record: Record<string, unknown>,
  service: string,
): Omit<Resource, "sensitivity"> | undefined {
  const listed = record["resources"];
  if (Array.isArray(listed)) {
    // The object, not its bucket, when both are listed (S3 data events list both).
    const entries = listed.map(obj).filter((entry) => entry !== undefined);
    const best =
      entries.find((entry) => entry["type"] === "AWS::S3::Object") ??
      entries[0];
    const arn =
      best && typeof best["ARN"] === "string" ? best["ARN"] : undefined;
    if (arn)
      return {
        id: clip(arn, MAX_RESOURCE_ID),
        ...(typeof best?.["type"] === "string"
          ? { type: clip(best["type"], 128) }
          : {}),
      };
  }
  const params = obj(record["requestParameters"]);
  if (!params) return undefined;
  if (service === "s3") {
    const s3 = s3Resource(params);
    if (s3) return s3;
  }
  for (const [key, type] of RESOURCE_KEYS) {
    const value =
      first(params[key]) ??
      (key === "instanceId" ? first(params["instancesSet"]) : undefined);
    // A generic key's type is qualified by the service it was sent to.
    if (value)
      return {
        id: clip(value, MAX_RESOURCE_ID),
        type: type.includes(":") ? type : `${service}:${type}`,
      };
  }
  return undefined;
}
