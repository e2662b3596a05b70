import type { AuditEventV1 } from "@warden/shared";

/**
 * CloudTrail's `eventSource` + `eventName` → Warden's action name, verb and sensitivity.
 * Action names keep AWS's service and operation: `iam.CreateUser`, `s3.GetObject`,
 * `sts.AssumeRole` (the service is `eventSource` without `.amazonaws.com`). The tables are
 * documented in services/ingest/MAPPINGS.md; detector catalogues match on these names.
 */
export type Verb = AuditEventV1["action"]["verb"];
export type Sensitivity = NonNullable<
  NonNullable<AuditEventV1["resource"]>["sensitivity"]
>;

/** `iam.amazonaws.com` → `iam`; a source outside amazonaws.com is kept whole. */
export function awsService(eventSource: string): string {
  return eventSource.endsWith(".amazonaws.com")
    ? eventSource.slice(0, -".amazonaws.com".length)
    : eventSource;
}

export function cloudTrailActionName(
  eventSource: string,
  eventName: string,
): string {
  return `${awsService(eventSource)}.${eventName}`;
}

/**
 * Services whose changes alter who can do what, or what is watched: every change there is
 * `admin` and `restricted`, every read `confidential` (reading them is reconnaissance).
 */
export const CONTROL_PLANE_SERVICES: ReadonlySet<string> = new Set([
  "iam",
  "sts",
  "organizations",
  "kms",
  "cloudtrail",
  "config",
  "guardduty",
  "securityhub",
  "access-analyzer",
  "sso",
  "sso-directory",
  "identitystore",
  "account",
  "detective",
  "macie2",
  "inspector2",
  "ram",
]);

/** Reads that hand out secret material: `restricted` whatever the service. */
const SECRET_READS: ReadonlySet<string> = new Set([
  "secretsmanager.GetSecretValue",
  "secretsmanager.BatchGetSecretValue",
  "ssm.GetParameter",
  "ssm.GetParameters",
  "ssm.GetParametersByPath",
  "kms.Decrypt",
  "kms.GenerateDataKey",
  "kms.GenerateDataKeyWithoutPlaintext",
  "sso.GetRoleCredentials",
  "ecr.GetAuthorizationToken",
  "iam.CreateAccessKey",
  "iam.CreateLoginProfile",
  "iam.UpdateLoginProfile",
  "rds.GenerateDbAuthToken",
  "redshift.GetClusterCredentials",
]);

/** Whole operations whose verb no prefix rule gets right. */
const VERB_OF_OPERATION: ReadonlyMap<string, Verb> = new Map<string, Verb>([
  ["sts.AssumeRole", "delegate"],
  ["sts.AssumeRoleWithSAML", "delegate"],
  ["sts.AssumeRoleWithWebIdentity", "delegate"],
  ["sts.AssumeRoot", "delegate"],
  ["sts.GetFederationToken", "delegate"],
  ["sts.GetSessionToken", "auth"],
  ["sts.GetCallerIdentity", "read"],
  ["sts.GetAccessKeyInfo", "read"],
  ["sts.DecodeAuthorizationMessage", "read"],
  ["signin.ConsoleLogin", "auth"],
  ["signin.SwitchRole", "delegate"],
  ["signin.ExitRole", "auth"],
  ["signin.CheckMfa", "auth"],
  ["signin.GetSigninToken", "auth"],
  ["sso.GetRoleCredentials", "auth"],
  ["sso.Federate", "auth"],
  ["sso.Authenticate", "auth"],
  ["sso-oidc.CreateToken", "auth"],
  ["cognito-identity.GetCredentialsForIdentity", "auth"],
  ["cognito-identity.GetOpenIdToken", "auth"],
  // Sharing a snapshot or image with another account, or copying it out, moves data out.
  ["ec2.ModifySnapshotAttribute", "export"],
  ["ec2.ModifyImageAttribute", "export"],
  ["ec2.CreateSnapshot", "export"],
  ["ec2.CopySnapshot", "export"],
  ["rds.ModifyDBSnapshotAttribute", "export"],
  ["rds.ModifyDBClusterSnapshotAttribute", "export"],
  ["rds.CopyDBSnapshot", "export"],
  ["rds.StartExportTask", "export"],
  ["logs.CreateExportTask", "export"],
  ["dynamodb.ExportTableToPointInTime", "export"],
  ["s3.PutBucketReplication", "export"],
  ["ec2.RunInstances", "execute"],
  ["ssm.SendCommand", "execute"],
  ["ssm.StartSession", "execute"],
  ["lambda.Invoke", "execute"],
]);

/**
 * First matching operation prefix wins (`eventName` is PascalCase). Order matters where one
 * prefix starts another (`Decrypt` is a read, `Describe` too; `Detach` before `De…`).
 */
const VERB_PREFIXES: readonly (readonly [string, Verb])[] = [
  ["Export", "export"],
  ["Get", "read"],
  ["List", "read"],
  ["Describe", "read"],
  ["Head", "read"],
  ["Lookup", "read"],
  ["Search", "read"],
  ["Scan", "read"],
  ["Query", "read"],
  ["BatchGet", "read"],
  ["Select", "read"],
  ["Check", "read"],
  ["Validate", "read"],
  ["Simulate", "read"],
  ["Estimate", "read"],
  ["Preview", "read"],
  ["View", "read"],
  ["Download", "read"],
  ["Decrypt", "read"],
  ["Verify", "read"],
  ["Test", "read"],
  ["Generate", "read"],
  ["Assume", "delegate"],
  ["Attach", "admin"],
  ["Detach", "admin"],
  ["Grant", "admin"],
  ["Authorize", "admin"],
  ["Revoke", "admin"],
  ["AddPermission", "admin"],
  ["RemovePermission", "admin"],
  ["Delete", "delete"],
  ["Remove", "delete"],
  ["Terminate", "delete"],
  ["Deregister", "delete"],
  ["Disassociate", "delete"],
  ["Purge", "delete"],
  ["Destroy", "delete"],
  ["ScheduleKeyDeletion", "delete"],
  ["Invoke", "execute"],
  ["Run", "execute"],
  ["Start", "execute"],
  ["Execute", "execute"],
  ["Send", "execute"],
  ["Publish", "execute"],
  ["Call", "execute"],
  ["Create", "write"],
  ["Put", "write"],
  ["Update", "write"],
  ["Modify", "write"],
  ["Set", "write"],
  ["Add", "write"],
  ["Register", "write"],
  ["Enable", "write"],
  ["Disable", "write"],
  ["Stop", "write"],
  ["Associate", "write"],
  ["Import", "write"],
  ["Upload", "write"],
  ["Copy", "write"],
  ["Tag", "write"],
  ["Untag", "write"],
  ["Restore", "write"],
  ["Replace", "write"],
  ["Reset", "write"],
  ["Change", "write"],
  ["Reboot", "write"],
  ["Cancel", "write"],
  ["Complete", "write"],
  ["Accept", "write"],
  ["Reject", "write"],
  ["Apply", "write"],
  ["Batch", "write"],
  ["Encrypt", "write"],
  ["ReEncrypt", "write"],
  ["Rotate", "write"],
  ["Deactivate", "write"],
  ["Activate", "write"],
  ["Confirm", "write"],
  ["Move", "write"],
  ["Rename", "write"],
  ["Request", "write"],
];

const READ_VERBS: ReadonlySet<Verb> = new Set(["read", "export", "auth"]);

/** Policy, permission and sharing changes in any service re-draw access: `admin`. */
const ACCESS_CHANGE = /(Policy|Permission|Acl|PublicAccessBlock|Grant)/;

export interface CloudTrailAction {
  readonly name: string;
  readonly verb: Verb;
  readonly sensitivity: Sensitivity;
}

/**
 * The verb from the operation table, then the prefix table; a name neither knows falls back
 * on CloudTrail's own `readOnly` flag (read when true, write otherwise).
 */
export function cloudTrailAction(
  eventSource: string,
  eventName: string,
  readOnly: boolean | undefined,
): CloudTrailAction {
  const service = awsService(eventSource);
  const name = `${service}.${eventName}`;
  let verb =
    VERB_OF_OPERATION.get(name) ??
    VERB_PREFIXES.find(([prefix]) => eventName.startsWith(prefix))?.[1] ??
    (readOnly === true ? "read" : "write");
  const mutation = !READ_VERBS.has(verb) && verb !== "delegate";
  if (
    mutation &&
    (CONTROL_PLANE_SERVICES.has(service) || ACCESS_CHANGE.test(eventName))
  )
    verb = "admin";
  return { name, verb, sensitivity: sensitivityOf(service, name, verb) };
}

function sensitivityOf(service: string, name: string, verb: Verb): Sensitivity {
  if (SECRET_READS.has(name) || verb === "admin" || verb === "delegate")
    return "restricted";
  if (CONTROL_PLANE_SERVICES.has(service)) return "confidential";
  if (verb === "export") return "restricted";
  // Object stores and databases hold customer data; a data read there is confidential.
  if (DATA_SERVICES.has(service) && verb !== "auth") return "confidential";
  return "internal";
}

const DATA_SERVICES: ReadonlySet<string> = new Set([
  "s3",
  "dynamodb",
  "rds",
  "rds-data",
  "redshift",
  "redshift-data",
  "athena",
  "glue",
  "secretsmanager",
  "ssm",
  "backup",
  "elasticfilesystem",
  "ebs",
  "logs",
]);
