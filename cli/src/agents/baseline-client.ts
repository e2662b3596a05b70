import { makeValidator, readEnv } from "@warden/shared";

/**
 * The baseline service's read-only query API as the CLI sees it: where it is and the bearer
 * token, from the environment (so the token stays out of shell history and is never printed).
 */

export const DEFAULT_BASELINE_URL = "http://127.0.0.1:8089";

export interface BaselineClientConfig {
  readonly url: string;
  readonly token: string;
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

/** WARDEN_BASELINE_URL and WARDEN_BASELINE_TOKEN (the service's BASELINE_API_TOKEN). */
export function readBaselineClientConfig(
  env: Record<string, string | undefined>,
): BaselineClientConfig {
  const values = readEnv(env, {
    WARDEN_BASELINE_URL: httpUrl({
      default: DEFAULT_BASELINE_URL,
      desc: "the baseline service's query API",
    }),
    WARDEN_BASELINE_TOKEN: bearerToken({
      desc: "bearer token of the baseline query API (its BASELINE_API_TOKEN)",
    }),
  });
  return {
    url: values.WARDEN_BASELINE_URL,
    token: values.WARDEN_BASELINE_TOKEN,
  };
}

/** GET `path` with `query`; a non-2xx answer or an unreachable service becomes an error that says what to do. */
export async function getFromBaseline<T>(
  config: BaselineClientConfig,
  path: string,
  query: Readonly<Record<string, string | number | undefined>> = {},
): Promise<T> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) search.set(name, String(value));
  const target = `${config.url}${path}${search.size > 0 ? `?${search.toString()}` : ""}`;
  let response: Response;
  try {
    response = await fetch(target, {
      headers: { authorization: `Bearer ${config.token}` },
      redirect: "error",
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new Error(
      `cannot reach the baseline query API at ${config.url}${cause ? ` (${cause})` : ""}: is the baseline service running with BASELINE_API_TOKEN set, and WARDEN_BASELINE_URL right?`,
    );
  }
  const text = await response.text();
  if (response.status === 401)
    throw new Error(
      "the baseline query API refused the token (401): WARDEN_BASELINE_TOKEN must equal the service's BASELINE_API_TOKEN",
    );
  if (!response.ok) {
    let message = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown };
      message = [body.error, body.message]
        .filter((part): part is string => typeof part === "string")
        .join(": ");
    } catch {
      // Not JSON: the start of the text is the best explanation there is.
    }
    throw new Error(
      `the baseline query API answered ${response.status} to GET ${path}${message ? `: ${message}` : ""}`,
    );
  }
  return JSON.parse(text) as T;
}
