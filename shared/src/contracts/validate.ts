import {
  Ajv2020,
  type ErrorObject,
  type ValidateFunction,
} from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { AuditEventV1, DecisionV1 } from "./generated.js";
import { readFileSync } from "node:fs";

// ajv-formats is published as CommonJS with a default export property.
const addFormats = addFormatsModule as unknown as (
  ajv: Ajv2020,
  formats?: string[],
) => Ajv2020;

export interface SchemaProblem {
  /** JSON pointer of the offending field, `/` for the whole document. */
  readonly path: string;
  readonly message: string;
}

export type Validation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly SchemaProblem[] };

/** The project's copy of the contracts, shared/contracts, is the one source of truth. */
export function readContractSchema(
  file: "audit-event.v1.schema.json" | "decision.v1.schema.json",
): Record<string, unknown> {
  // Resolves the same from src/ (tests) and dist/ (built code): both sit two levels below shared/.
  return JSON.parse(
    readFileSync(new URL(`../../contracts/${file}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
}

// allErrors off: the first problem is enough for a rejection reason and keeps the hot path fast.
const ajv = new Ajv2020({ strict: true, allErrors: false });
addFormats(ajv, ["date-time"]);
const auditEventValidator = ajv.compile<AuditEventV1>(
  readContractSchema("audit-event.v1.schema.json"),
);
const decisionValidator = ajv.compile<DecisionV1>(
  readContractSchema("decision.v1.schema.json"),
);

function toProblems(errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  return (errors ?? []).map((error) => {
    const base = error.instancePath || "/";
    if (error.keyword === "required") {
      const missing =
        (error.params as { missingProperty?: string }).missingProperty ?? "";
      return {
        path: `${error.instancePath}/${missing}`,
        message: "is required",
      };
    }
    if (error.keyword === "additionalProperties") {
      const extra =
        (error.params as { additionalProperty?: string }).additionalProperty ??
        "";
      return {
        path: `${error.instancePath}/${extra}`,
        message: "is not allowed here",
      };
    }
    if (error.keyword === "enum") {
      const allowed =
        (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
      return { path: base, message: `must be one of ${allowed.join(", ")}` };
    }
    return { path: base, message: error.message ?? error.keyword };
  });
}

function run<T>(validator: ValidateFunction<T>, value: unknown): Validation<T> {
  if (validator(value)) return { ok: true, value };
  return { ok: false, problems: toProblems(validator.errors) };
}

/** Checks a parsed JSON value against audit event v1 (schema only; semantic checks are ingest's). */
export function validateAuditEvent(value: unknown): Validation<AuditEventV1> {
  return run(auditEventValidator, value);
}

export function validateDecision(value: unknown): Validation<DecisionV1> {
  return run(decisionValidator, value);
}

export const AUDIT_EVENT_SCHEMA_ID = "agent-audit/v1";
export const DECISION_SCHEMA_ID = "agent-decision/v1";
