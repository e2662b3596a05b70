import { WardenError } from "@warden/shared";

/** `err` codes of RFC 8935 §2.3 that no retry can fix. */
export const PERMANENT_PUSH_ERRORS = [
  "invalid_request",
  "invalid_key",
  "invalid_issuer",
  "invalid_audience",
  "authentication_failed",
  "access_denied",
] as const;

/** A push the receiver refused or that did not arrive; `retriable` says whether to try again. */
export class PushError extends WardenError {
  readonly status: number | undefined;
  readonly err: string | undefined;

  constructor(
    message: string,
    options: {
      status?: number;
      err?: string;
      retriable: boolean;
      cause?: unknown;
    },
  ) {
    super(message, { retriable: options.retriable, cause: options.cause });
    this.status = options.status;
    this.err = options.err;
  }
}

export interface PushTarget {
  readonly url: string;
  /** Sent as the Authorization header; never logged. */
  readonly authorization: string | undefined;
  readonly timeoutMs?: number;
}

/**
 * Delivers one SET by RFC 8935 push. Resolves on 202; otherwise throws a PushError
 * that is permanent for a 400 with a known `err`, retriable for 5xx, 429 and network
 * failures, and permanent for anything else the receiver says.
 */
export async function pushSet(target: PushTarget, jwt: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      headers: {
        "content-type": "application/secevent+jwt",
        accept: "application/json",
        ...(target.authorization
          ? { authorization: target.authorization }
          : {}),
      },
      body: jwt,
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new PushError(`push to ${target.url} failed`, {
      retriable: true,
      cause,
    });
  }
  const text = await response.text().catch(() => "");
  if (response.status === 202) return;
  if (response.status === 400) {
    const err = readErr(text);
    if (
      err !== undefined &&
      (PERMANENT_PUSH_ERRORS as readonly string[]).includes(err)
    ) {
      throw new PushError(`receiver refused the SET: ${err}`, {
        status: 400,
        err,
        retriable: false,
      });
    }
    throw new PushError(`receiver answered 400${err ? ` (${err})` : ""}`, {
      status: 400,
      ...(err ? { err } : {}),
      retriable: false,
    });
  }
  const retriable = response.status >= 500 || response.status === 429;
  throw new PushError(`receiver answered ${response.status}`, {
    status: response.status,
    retriable,
  });
}

function readErr(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown };
    return typeof body.err === "string" ? body.err : undefined;
  } catch {
    return undefined;
  }
}
