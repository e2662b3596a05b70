import { makeValidator, readEnv } from "@warden/shared";

export const DEFAULT_REVOKER_URL = "http://127.0.0.1:8088";

export interface RevokerClientConfig {
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

/** WARDEN_REVOKER_URL and WARDEN_ADMIN_TOKEN (a revoker receiver token with scope warden.admin). */
export function readRevokerClientConfig(
  env: Record<string, string | undefined>,
): RevokerClientConfig {
  const values = readEnv(env, {
    WARDEN_REVOKER_URL: httpUrl({
      default: DEFAULT_REVOKER_URL,
      desc: "the revoker's SSF/admin API",
    }),
    WARDEN_ADMIN_TOKEN: bearerToken({
      desc: "bearer token of a revoker receiver with scope warden.admin",
    }),
  });
  return { url: values.WARDEN_REVOKER_URL, token: values.WARDEN_ADMIN_TOKEN };
}

/** The revoker's answer; a non-2xx status becomes an error naming the status and its message. */
export async function callRevoker(
  config: RevokerClientConfig,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${config.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${config.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    redirect: "error",
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  if (!response.ok) {
    const detail = (parsed ?? {}) as { message?: unknown; error?: unknown };
    const message = [detail.error, detail.message]
      .filter((part): part is string => typeof part === "string")
      .join(": ");
    throw new Error(
      `revoker answered ${response.status} to ${method} ${path}${message ? `: ${message}` : ""}`,
    );
  }
  return parsed;
}
