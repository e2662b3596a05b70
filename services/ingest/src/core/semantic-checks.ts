import type { AuditEventV1 } from "@warden/shared";
import { KNOWN_FIELDS } from "./normalise.js";

/** Deeper JSON is refused before it can exhaust a recursive serialiser downstream. */
export const MAX_NESTING_DEPTH = 32;

/** A field the schema allows but Warden cannot use, with a JSON-pointer-like path. */
export interface SemanticProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Depth of nested arrays/objects, computed iteratively (a recursive walk is what a hostile
 * message would be built to break). Stops counting past `limit`.
 */
export function nestingDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(node))
      stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

/**
 * Whether free-form content (`attributes` and unknown top-level fields, which the schema does
 * not shape) nests deeper than the limit; known fields are at most three levels by schema.
 */
export function freeFormTooDeep(event: AuditEventV1): boolean {
  const record = event as unknown as Record<string, unknown>;
  return Object.keys(record).some(
    (key) =>
      (key === "attributes" || !KNOWN_FIELDS.has(key)) &&
      nestingDepthExceeds(record[key], MAX_NESTING_DEPTH - 1),
  );
}

const INTEGER_FIELDS = [
  "status_code",
  "bytes_out",
  "bytes_in",
  "records",
] as const;

/**
 * What the schema cannot say: integers must be exact (beyond 2^53 a JSON number silently
 * changes value in JavaScript), and ids must not be blank once trimmed. (`1e400` parses to
 * Infinity, which the schema's number type already refuses.)
 */
export function semanticProblem(
  event: AuditEventV1,
): SemanticProblem | undefined {
  for (const field of INTEGER_FIELDS) {
    const value = event[field];
    if (value !== undefined && !Number.isSafeInteger(value))
      return { path: `/${field}`, message: "must be at most 2^53-1" };
  }
  const ids: readonly [string, string | undefined][] = [
    ["/event_id", event.event_id],
    ["/agent/id", event.agent.id],
    ["/credential/id", event.credential.id],
  ];
  for (const [path, id] of ids) {
    if (id !== undefined && id.trim() === "")
      return { path, message: "must not be blank" };
  }
  const blankLink = event.delegation?.findIndex((id) => id.trim() === "");
  if (blankLink !== undefined && blankLink >= 0)
    return { path: `/delegation/${blankLink}`, message: "must not be blank" };
  return undefined;
}
