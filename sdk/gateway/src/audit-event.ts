import { createRequire } from "node:module";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { FieldProblem } from "./errors.js";

/**
 * Audit event v1 as a TypeScript type. Written out here because the SDK must not import the
 * root of @warden/shared (it pulls chDB); the schema below is the ingest's own file, so a type
 * that drifted from it fails the builder's property tests.
 */
export type CredentialType =
  | "api_key"
  | "oauth_token"
  | "jit_token"
  | "mtls"
  | "spiffe_svid"
  | "password"
  | "other";
export type ActionVerb =
  | "read"
  | "write"
  | "delete"
  | "export"
  | "admin"
  | "execute"
  | "delegate"
  | "auth";
export type Outcome = "success" | "denied" | "error";
export type Sensitivity = "public" | "internal" | "confidential" | "restricted";

export interface AuditEventV1 {
  schema: "agent-audit/v1";
  event_id: string;
  time: string;
  tenant?: string;
  agent: { id: string; kind?: string; owner?: string; instance?: string };
  on_behalf_of?: string;
  delegation?: string[];
  credential: {
    id: string;
    type: CredentialType;
    issuer?: string;
    scopes?: string[];
    expires_at?: string;
  };
  action: { name: string; verb: ActionVerb; target?: string };
  resource?: { id?: string; type?: string; sensitivity?: Sensitivity };
  outcome: Outcome;
  status_code?: number;
  bytes_out?: number;
  bytes_in?: number;
  records?: number;
  duration_ms?: number;
  source?: { ip?: string; user_agent?: string; gateway?: string };
  session_id?: string;
  task_id?: string;
  trace_id?: string;
  attributes?: Record<string, string | number | boolean>;
}

// ajv-formats is published as CommonJS with a default export property.
const addFormats = addFormatsModule as unknown as (
  ajv: Ajv2020,
  formats?: string[],
) => Ajv2020;

const require = createRequire(import.meta.url);
/** The schema file the ingest validates with, from @warden/shared's dependency-free contracts. */
export const AUDIT_EVENT_SCHEMA =
  require("@warden/shared/contracts/audit-event.v1.schema.json") as Record<
    string,
    unknown
  >;

// allErrors: a gateway developer fixing an event wants every problem at once, not one per run.
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv, ["date-time"]);
const validateSchema = ajv.compile<AuditEventV1>(AUDIT_EVENT_SCHEMA);

function toProblem(error: ErrorObject): FieldProblem {
  const base = error.instancePath || "";
  const params = error.params as {
    missingProperty?: string;
    additionalProperty?: string;
    allowedValues?: unknown[];
  };
  if (error.keyword === "required")
    return {
      path: `${base}/${params.missingProperty ?? ""}`,
      message: "is required",
    };
  if (error.keyword === "additionalProperties")
    return {
      path: `${base}/${params.additionalProperty ?? ""}`,
      message: "is not a field of audit event v1",
    };
  if (error.keyword === "enum")
    return {
      path: base || "/",
      message: `must be one of ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`,
    };
  return { path: base || "/", message: error.message ?? error.keyword };
}

/** Checks a value against audit event v1 exactly as the ingest does; every problem names its field. */
export function checkAuditEvent(
  value: unknown,
): { ok: true; event: AuditEventV1 } | { ok: false; problems: FieldProblem[] } {
  if (validateSchema(value)) return { ok: true, event: value };
  return { ok: false, problems: (validateSchema.errors ?? []).map(toProblem) };
}
