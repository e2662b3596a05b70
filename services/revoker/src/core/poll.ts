/** RFC 8936 poll requests, read from untrusted JSON. */
export const DEFAULT_POLL_MAX_EVENTS = 100;
export const MAX_POLL_MAX_EVENTS = 1000;

export interface PollRequest {
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
  readonly ack: readonly string[];
  readonly setErrs: Readonly<
    Record<string, { readonly err: string; readonly description: string }>
  >;
}

export type PollParse =
  | { readonly ok: true; readonly request: PollRequest }
  | { readonly ok: false; readonly description: string };

export function readPollRequest(body: unknown): PollParse {
  const value = body ?? {};
  if (typeof value !== "object" || Array.isArray(value))
    return { ok: false, description: "the body must be a JSON object" };
  const record = value as Record<string, unknown>;
  const maxEvents = record["maxEvents"] ?? DEFAULT_POLL_MAX_EVENTS;
  // maxEvents 0 is legal: the receiver only acknowledges (RFC 8936 §2.4).
  if (
    typeof maxEvents !== "number" ||
    !Number.isInteger(maxEvents) ||
    maxEvents < 0
  )
    return { ok: false, description: "maxEvents must be a whole number >= 0" };
  const returnImmediately = record["returnImmediately"] ?? false;
  if (typeof returnImmediately !== "boolean")
    return { ok: false, description: "returnImmediately must be a boolean" };
  const ack = record["ack"] ?? [];
  if (!Array.isArray(ack) || !ack.every((item) => typeof item === "string"))
    return { ok: false, description: "ack must be an array of jti strings" };
  const setErrs = record["setErrs"] ?? {};
  if (typeof setErrs !== "object" || setErrs === null || Array.isArray(setErrs))
    return { ok: false, description: "setErrs must be an object keyed by jti" };
  for (const [jti, error] of Object.entries(setErrs)) {
    const e = error as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null || typeof e["err"] !== "string")
      return {
        ok: false,
        description: `setErrs.${jti} must hold err and description`,
      };
  }
  return {
    ok: true,
    request: {
      maxEvents: Math.min(maxEvents, MAX_POLL_MAX_EVENTS),
      returnImmediately,
      ack,
      setErrs: Object.fromEntries(
        Object.entries(setErrs as Record<string, Record<string, unknown>>).map(
          ([jti, e]) => [
            jti,
            {
              err: String(e["err"]),
              description:
                typeof e["description"] === "string" ? e["description"] : "",
            },
          ],
        ),
      ),
    },
  };
}
