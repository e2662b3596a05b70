import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateAuditEvent } from "@warden/shared";
import { cloudTrailAction } from "./cloudtrail-actions.js";
import {
  cloudTrailDocumentMapper,
  createCloudTrailMapper,
} from "./cloudtrail.js";
import type { MapOutcome } from "./mapper.js";

const fixture = readFileSync(
  new URL("./fixtures/cloudtrail-log.json", import.meta.url),
);

function mapFixture(): MapOutcome[] {
  const decoded = cloudTrailDocumentMapper(createCloudTrailMapper()).decode(
    fixture,
    "application/json",
  );
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.records.map((record) => record.outcome);
}

function eventAt(outcomes: MapOutcome[], index: number) {
  const outcome = outcomes[index];
  if (outcome?.kind !== "event")
    throw new Error(`record ${index} is ${JSON.stringify(outcome)}`);
  return outcome.event;
}

describe("CloudTrail mapper", () => {
  const outcomes = mapFixture();

  it("gives every record an outcome, and every event passes audit event v1", () => {
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      ...Array<string>(7).fill("event"),
      "unmappable",
      "unmappable",
      "skipped",
    ]);
    for (const outcome of outcomes)
      if (outcome.kind === "event")
        expect(validateAuditEvent(outcome.event).ok).toBe(true);
  });

  it("maps an IAM user's long-lived key and an IAM change", () => {
    const event = eventAt(outcomes, 0);
    expect(event.agent).toEqual({
      id: "arn:aws:iam::123456789012:user/Alice",
      kind: "aws-iam-user",
    });
    expect(event.credential).toEqual({
      id: "AKIAIOSFODNN7EXAMPLE",
      type: "api_key",
      issuer: "iam.amazonaws.com",
    });
    expect(event.action).toEqual({
      name: "iam.CreateUser",
      verb: "admin",
      target: "iam.amazonaws.com",
    });
    expect(event.resource).toEqual({
      id: "Bob",
      type: "iam:user",
      sensitivity: "restricted",
    });
    expect(event.source).toEqual({
      ip: "198.51.100.1",
      user_agent: "aws-cli/2.13.5 Python/3.11.4",
    });
    expect(event.attributes).toMatchObject({
      "aws.account_id": "123456789012",
      "aws.read_only": false,
      "aws.management_event": true,
      "aws.credential_kind": "long-lived",
    });
  });

  it("follows sts:AssumeRole to the role's session: role as agent, session as instance, chain from the caller", () => {
    const assume = eventAt(outcomes, 1);
    expect(assume.action.verb).toBe("delegate");
    expect(assume.resource?.id).toBe("arn:aws:iam::123456789012:role/Deployer");
    expect(JSON.stringify(assume)).not.toContain("sessionToken");
    const read = eventAt(outcomes, 2);
    expect(read.agent).toEqual({
      id: "arn:aws:iam::123456789012:role/Deployer",
      kind: "aws-role",
      instance: "deploy-42",
    });
    expect(read.credential.type).toBe("jit_token");
    expect(read.delegation).toEqual([
      "arn:aws:iam::123456789012:user/Alice",
      "arn:aws:iam::123456789012:role/Deployer",
    ]);
    expect(read.resource).toEqual({
      id: "arn:aws:s3:::acme-exports/customers/2026-11.csv",
      type: "AWS::S3::Object",
      sensitivity: "confidential",
    });
    expect(read.bytes_out).toBe(52_428_800);
    expect(read.outcome).toBe("success");
  });

  it("marks AccessDenied as denied and a failed console sign-in as denied", () => {
    const denied = eventAt(outcomes, 3);
    expect(denied.outcome).toBe("denied");
    expect(denied.action).toMatchObject({
      name: "cloudtrail.StopLogging",
      verb: "admin",
    });
    expect(denied.resource?.sensitivity).toBe("restricted");
    const login = eventAt(outcomes, 5);
    expect(login.agent.id).toBe("arn:aws:iam::123456789012:root");
    expect(login.outcome).toBe("denied");
    expect(login.action.verb).toBe("auth");
    expect(login.credential.type).toBe("password");
  });

  it("names AWS services and federated users", () => {
    expect(eventAt(outcomes, 4).agent).toEqual({
      id: "aws-service:lambda.amazonaws.com",
      kind: "aws-service",
    });
    const federated = eventAt(outcomes, 6);
    expect(federated.agent.id).toBe(
      "arn:aws:sts::123456789012:federated-user/build-bot",
    );
    expect(federated.on_behalf_of).toBe("arn:aws:iam::123456789012:user/ci");
    expect(federated.resource?.id).toBe("i-0abcd1234efgh5678");
    expect(federated.action.verb).toBe("read");
  });

  it("says precisely why a record cannot be mapped", () => {
    expect(outcomes[7]).toEqual({
      kind: "unmappable",
      detail: "/userIdentity is missing or not an object",
    });
    expect(outcomes[8]).toEqual({
      kind: "unmappable",
      detail: '/userIdentity/type "Alien" is not a CloudTrail identity type',
    });
    expect(outcomes[9]).toEqual({ kind: "skipped", skip: "insight" });
  });

  it("skips a digest file as one counted record and refuses a body that is no log file", () => {
    const mapper = cloudTrailDocumentMapper(createCloudTrailMapper());
    const digest = mapper.decode(
      Buffer.from(
        JSON.stringify({
          awsAccountId: "123456789012",
          digestStartTime: "2026-11-02T08:00:00Z",
          logFiles: [],
        }),
      ),
      "application/json",
    );
    expect(digest.ok && digest.records.map((r) => r.outcome)).toEqual([
      { kind: "skipped", skip: "digest" },
    ]);
    expect(
      mapper.decode(Buffer.from('{"records":[]}'), "application/json"),
    ).toEqual({
      ok: false,
      detail: "/Records is missing or not an array",
    });
    expect(mapper.decode(Buffer.from("[1]"), "application/json").ok).toBe(
      false,
    );
  });
});

describe("CloudTrail action table", () => {
  it.each([
    [
      "iam.amazonaws.com",
      "AttachRolePolicy",
      "iam.AttachRolePolicy",
      "admin",
      "restricted",
    ],
    ["iam.amazonaws.com", "ListUsers", "iam.ListUsers", "read", "confidential"],
    [
      "kms.amazonaws.com",
      "ScheduleKeyDeletion",
      "kms.ScheduleKeyDeletion",
      "admin",
      "restricted",
    ],
    ["kms.amazonaws.com", "Decrypt", "kms.Decrypt", "read", "restricted"],
    [
      "organizations.amazonaws.com",
      "LeaveOrganization",
      "organizations.LeaveOrganization",
      "admin",
      "restricted",
    ],
    [
      "s3.amazonaws.com",
      "PutBucketPolicy",
      "s3.PutBucketPolicy",
      "admin",
      "restricted",
    ],
    [
      "s3.amazonaws.com",
      "DeleteObject",
      "s3.DeleteObject",
      "delete",
      "confidential",
    ],
    ["s3.amazonaws.com", "PutObject", "s3.PutObject", "write", "confidential"],
    [
      "ec2.amazonaws.com",
      "RunInstances",
      "ec2.RunInstances",
      "execute",
      "internal",
    ],
    [
      "ec2.amazonaws.com",
      "ModifySnapshotAttribute",
      "ec2.ModifySnapshotAttribute",
      "export",
      "restricted",
    ],
    [
      "ec2.amazonaws.com",
      "AuthorizeSecurityGroupIngress",
      "ec2.AuthorizeSecurityGroupIngress",
      "admin",
      "restricted",
    ],
    [
      "secretsmanager.amazonaws.com",
      "GetSecretValue",
      "secretsmanager.GetSecretValue",
      "read",
      "restricted",
    ],
    [
      "lambda.amazonaws.com",
      "AddPermission20150331v2",
      "lambda.AddPermission20150331v2",
      "admin",
      "restricted",
    ],
    [
      "ec2.amazonaws.com",
      "TerminateInstances",
      "ec2.TerminateInstances",
      "delete",
      "internal",
    ],
  ] as const)("%s %s → %s %s %s", (source, name, action, verb, sensitivity) => {
    expect(cloudTrailAction(source, name, undefined)).toEqual({
      name: action,
      verb,
      sensitivity,
    });
  });

  it("falls back on readOnly for an operation neither table knows", () => {
    expect(cloudTrailAction("foo.amazonaws.com", "Frobnicate", true).verb).toBe(
      "read",
    );
    expect(
      cloudTrailAction("foo.amazonaws.com", "Frobnicate", false).verb,
    ).toBe("write");
  });
});
