import {
  ApiAnswerError,
  apiRequest,
  readApiConnection,
  type ApiConnection,
} from "../api-client.js";

/** The baseline service's read-only query API as the CLI sees it. */

export const DEFAULT_BASELINE_URL = "http://127.0.0.1:8089";

/** WARDEN_BASELINE_URL and WARDEN_BASELINE_TOKEN (the service's BASELINE_API_TOKEN). */
export function readBaselineClientConfig(
  env: Record<string, string | undefined>,
): ApiConnection {
  return readApiConnection(env, {
    urlVariable: "WARDEN_BASELINE_URL",
    defaultUrl: DEFAULT_BASELINE_URL,
    urlMeaning: "the baseline service's query API",
    tokenVariable: "WARDEN_BASELINE_TOKEN",
    tokenMeaning:
      "bearer token of the baseline query API (its BASELINE_API_TOKEN)",
  });
}

/** GET `path` with `query`; errors say what to do. */
export async function getFromBaseline<T>(
  connection: ApiConnection,
  path: string,
  query: Readonly<Record<string, string | number | undefined>> = {},
): Promise<T> {
  try {
    return (await apiRequest(connection, {
      service: "baseline query API",
      method: "GET",
      path,
      query,
      unreachableHint:
        "is the baseline service running with BASELINE_API_TOKEN set, and WARDEN_BASELINE_URL right?",
    })) as T;
  } catch (error) {
    if (error instanceof ApiAnswerError && error.status === 401)
      throw new ApiAnswerError(
        error.status,
        error.code,
        "the baseline query API refused the token (401): WARDEN_BASELINE_TOKEN must equal the service's BASELINE_API_TOKEN",
      );
    throw error;
  }
}
