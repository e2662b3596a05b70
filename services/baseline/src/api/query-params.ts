import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The query API's request parsing, pure: time ranges, page sizes, keyset cursors and the
 * bearer-token check. Bad input gives a message for a 400, never an exception.
 */

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1_000;
export const DEFAULT_RANGE_MS = 86_400_000;

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Where the previous page ended: rows strictly before (time, id) in descending order. */
export interface Cursor {
  readonly timeMs: number;
  readonly id: string;
}

function timeParameter(
  name: string,
  value: string | undefined,
  fallback: number,
): Parsed<number> {
  if (value === undefined || value === "") return { ok: true, value: fallback };
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(parsed)
    ? { ok: true, value: parsed }
    : {
        ok: false,
        problem: `${name} must be epoch milliseconds or an RFC 3339 time`,
      };
}

/** `from` and `to` (epoch ms or RFC 3339); by default the last day up to `nowMs`. */
export function parseRange(
  query: { readonly from?: string; readonly to?: string },
  nowMs: number,
): Parsed<TimeRange> {
  const to = timeParameter("to", query.to, nowMs);
  if (!to.ok) return to;
  const from = timeParameter("from", query.from, to.value - DEFAULT_RANGE_MS);
  if (!from.ok) return from;
  if (from.value > to.value)
    return { ok: false, problem: "from must not be after to" };
  return { ok: true, value: { fromMs: from.value, toMs: to.value } };
}

export function parseLimit(value: string | undefined): Parsed<number> {
  if (value === undefined || value === "")
    return { ok: true, value: DEFAULT_PAGE_SIZE };
  const limit = Number(value);
  return Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE
    ? { ok: true, value: limit }
    : {
        ok: false,
        problem: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
      };
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.timeMs, cursor.id])).toString(
    "base64url",
  );
}

export function parseCursor(
  value: string | undefined,
): Parsed<Cursor | undefined> {
  if (value === undefined || value === "")
    return { ok: true, value: undefined };
  try {
    const decoded: unknown = JSON.parse(
      Buffer.from(value, "base64url").toString("utf8"),
    );
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      Number.isFinite(decoded[0]) &&
      typeof decoded[1] === "string"
    )
      return {
        ok: true,
        value: { timeMs: decoded[0] as number, id: decoded[1] },
      };
  } catch {
    // Falls through to the one answer for every malformed cursor.
  }
  return { ok: false, problem: "cursor is not one this API returned" };
}

const digest = (text: string): Buffer =>
  createHash("sha256").update(text).digest();

/** Constant-time check of an `Authorization: Bearer <token>` header. */
export function bearerMatches(
  header: string | undefined,
  token: string,
): boolean {
  const match = /^Bearer (.+)$/u.exec(header ?? "");
  return (
    match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token))
  );
}
