import { ConfigError, makeValidator, readEnv } from "@warden/shared";

/**
 * How every `warden` command talks to a Warden service's HTTP API (the revoker's SSF and
 * admin API, the baseline query API): where it is and the bearer token come from the
 * environment, so the token stays out of shell history and is never printed; redirects are
 * refused so the token never travels elsewhere; errors say what to do and carry an exit code.
 */

/** Exit codes of every command, so a script can tell a typo from a refusal from an outage. */
export const ExitCode = {
  ok: 0,
  /** The service could not be reached, refused the request (400, 409, 429) or failed (5xx). */
  failed: 1,
  /** Bad options or arguments, or a missing / malformed environment variable. */
  usage: 2,
  /** The thing asked for does not exist (404). */
  notFound: 3,
  /** The token was refused (401) or lacks the scope (403). */
  notAuthorised: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 404) return ExitCode.notFound;
  if (status === 401 || status === 403) return ExitCode.notAuthorised;
  return ExitCode.failed;
}

/** A mistake in what the person typed or set: reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = ExitCode.usage;
}

/** The service answered with an error status; `exitCode` says what kind. */
export class ApiAnswerError extends Error {
  override readonly name = "ApiAnswerError";
  readonly exitCode: ExitCode;
  constructor(
    readonly status: number,
    /** The machine-readable error code of the answer (SSF's `err`, or `error`), when it has one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.exitCode = exitCodeForStatus(status);
  }
}

/** The exit code an error asks for; anything unforeseen is a plain failure. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof ApiAnswerError)
    return error.exitCode;
  return ExitCode.failed;
}

export interface ApiConnection {
  /** The API's base URL, without a trailing slash. */
  readonly url: string;
  /** Left out for an open API (an all-in-one on loopback without gateway tokens). */
  readonly token: string | undefined;
}

const httpUrl = makeValidator<string>((input) => {
  const url = URL.canParse(input) ? new URL(input) : undefined;
  if (!url || !["http:", "https:"].includes(url.protocol))
    throw new Error(`an http(s) URL, got "${input}"`);
  return input.replace(/\/+$/u, "");
});

// The token never appears in an error, however it is wrong.
const bearerToken = makeValidator<string>((input) => {
  if (!/^[\x21-\x7e]{1,4096}$/u.test(input))
    throw new Error(
      "printable ASCII without spaces (the token itself is not shown)",
    );
  return input;
});

export interface ApiVariables {
  readonly urlVariable: string;
  readonly defaultUrl: string;
  readonly urlMeaning: string;
  readonly tokenVariable: string;
  readonly tokenMeaning: string;
}

/** Reads the URL and token variables; a missing or malformed one is a UsageError naming it. */
export function readApiConnection(
  env: Record<string, string | undefined>,
  variables: ApiVariables,
): ApiConnection {
  try {
    const values = readEnv(env, {
      [variables.urlVariable]: httpUrl({
        default: variables.defaultUrl,
        desc: variables.urlMeaning,
      }),
      [variables.tokenVariable]: bearerToken({
        desc: variables.tokenMeaning,
      }),
    });
    return {
      url: values[variables.urlVariable] as string,
      token: values[variables.tokenVariable],
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiRequest {
  /** Names the service in errors: "revoker", "baseline query API". */
  readonly service: string;
  readonly method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** A path under the connection's URL, or an absolute URL on the same origin. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** Sent as it is instead of a JSON body (the ingest's NDJSON). */
  readonly text?: { readonly contentType: string; readonly body: string };
  /** Said after "cannot reach …" so the person knows what to check. */
  readonly unreachableHint?: string;
}

function errorDetail(body: unknown): { code?: string; text: string } {
  if (typeof body !== "object" || body === null) return { text: "" };
  const fields = body as Record<string, unknown>;
  const code = [fields["err"], fields["error"]].find(
    (part): part is string => typeof part === "string" && part !== "",
  );
  const description = [fields["description"], fields["message"]].find(
    (part): part is string => typeof part === "string" && part !== "",
  );
  return {
    ...(code === undefined ? {} : { code }),
    text: [code, description].filter(Boolean).join(": "),
  };
}

/** One JSON request with the bearer token; a non-2xx answer becomes an ApiAnswerError. */
export async function apiRequest(
  connection: ApiConnection,
  request: ApiRequest,
): Promise<unknown> {
  const target = new URL(
    URL.canParse(request.path)
      ? request.path
      : `${connection.url}${request.path}`,
  );
  if (target.origin !== new URL(connection.url).origin)
    throw new Error(
      `refusing to send the ${request.service} token to ${target.origin}`,
    );
  for (const [name, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) target.searchParams.set(name, String(value));
  const sent =
    request.text ??
    (request.body === undefined
      ? undefined
      : {
          contentType: "application/json",
          body: JSON.stringify(request.body),
        });
  let response: Response;
  try {
    response = await fetch(target, {
      method: request.method,
      headers: {
        ...(connection.token === undefined
          ? {}
          : { authorization: `Bearer ${connection.token}` }),
        accept: "application/json",
        ...(sent ? { "content-type": sent.contentType } : {}),
      },
      ...(sent ? { body: sent.body } : {}),
      redirect: "error",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (cause) {
    const reason =
      cause instanceof Error && cause.cause instanceof Error
        ? cause.cause.message
        : String(cause);
    const hint = request.unreachableHint ? `; ${request.unreachableHint}` : "";
    throw new Error(
      `cannot reach the ${request.service} at ${target.origin}: ${reason}${hint}`,
      { cause },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  if (!response.ok) {
    const detail = errorDetail(parsed);
    throw new ApiAnswerError(
      response.status,
      detail.code,
      `the ${request.service} answered ${response.status} to ${request.method} ${target.pathname}${detail.text ? ` (${detail.text})` : ""}`,
    );
  }
  return parsed;
}
