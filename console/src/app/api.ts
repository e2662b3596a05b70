/**
 * The console's only way out: the host's admin API (same origin) and the baseline query API,
 * each with the analyst's bearer token from session storage. Tokens never go into a URL, a
 * log line or an error message.
 */

export interface Tokens {
  readonly admin: string;
  readonly query: string;
}

export interface Settings {
  /** Base URL of the query API; empty: the host serves it. */
  readonly queryApiUrl: string;
}

const TOKENS_KEY = "warden.console.tokens";

export function loadTokens(): Tokens | undefined {
  try {
    const stored = JSON.parse(
      sessionStorage.getItem(TOKENS_KEY) ?? "null",
    ) as unknown;
    if (
      typeof stored === "object" &&
      stored !== null &&
      typeof (stored as Tokens).admin === "string" &&
      typeof (stored as Tokens).query === "string"
    )
      return stored as Tokens;
  } catch {
    // A damaged entry means signing in again.
  }
  return undefined;
}

export function saveTokens(tokens: Tokens): void {
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
}

export function clearTokens(): void {
  sessionStorage.removeItem(TOKENS_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function loadSettings(): Promise<Settings> {
  const response = await fetch(`${import.meta.env.BASE_URL}settings.json`, {
    cache: "no-store",
  });
  if (!response.ok)
    throw new ApiError(response.status, "console settings unavailable");
  return (await response.json()) as Settings;
}

async function call<T>(
  url: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      ...(init.body === undefined
        ? {}
        : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    // Bearer tokens only: no cookie or other ambient credential rides along, nor a referrer.
    credentials: "omit",
    referrerPolicy: "no-referrer",
    redirect: "error",
    cache: "no-store",
  });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const problem = body as
      { description?: string; error?: string } | undefined;
    throw new ApiError(
      response.status,
      problem?.description ?? problem?.error ?? `HTTP ${response.status}`,
    );
  }
  return body as T;
}

export interface Api {
  query<T>(
    path: string,
    params?: Record<string, string | number | undefined>,
  ): Promise<T>;
  /** A POST to the query API (what-if): read-only there, but it costs the host work. */
  queryPost<T>(path: string, body: unknown): Promise<T>;
  admin<T>(path: string): Promise<T>;
  adminPost<T>(path: string, body: unknown): Promise<T>;
}

export function createApi(settings: Settings, tokens: Tokens): Api {
  const queryBase = settings.queryApiUrl;
  return {
    query(path, params = {}) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(params))
        if (value !== undefined) search.set(key, String(value));
      const suffix = search.size > 0 ? `?${search.toString()}` : "";
      return call(`${queryBase}${path}${suffix}`, tokens.query);
    },
    queryPost: (path, body) =>
      call(`${queryBase}${path}`, tokens.query, { method: "POST", body }),
    admin: (path) => call(path, tokens.admin),
    adminPost: (path, body) =>
      call(path, tokens.admin, { method: "POST", body }),
  };
}

/** A form field's text (a file input would give a File: treated as empty). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
}

/** An error for people: its message, never an object dump. */
export function describeProblem(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "unexpected error";
}

/** `/v1/agents/<tenant>/<agent>/<what>`, each id encoded as one path segment. */
export const agentApiPath = (
  tenant: string,
  agentId: string,
  what: string,
): string =>
  `/v1/agents/${encodeURIComponent(tenant)}/${encodeURIComponent(agentId)}/${what}`;
