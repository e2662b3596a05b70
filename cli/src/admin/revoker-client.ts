import {
  apiRequest,
  readApiConnection,
  type ApiConnection,
  type ApiRequest,
} from "../api-client.js";

export const DEFAULT_REVOKER_URL = "http://127.0.0.1:8088";

/** WARDEN_REVOKER_URL and WARDEN_ADMIN_TOKEN (a revoker receiver token with scope warden.admin). */
export function readRevokerAdminConnection(
  env: Record<string, string | undefined>,
): ApiConnection {
  return readApiConnection(env, {
    urlVariable: "WARDEN_REVOKER_URL",
    defaultUrl: DEFAULT_REVOKER_URL,
    urlMeaning: "the revoker's SSF / admin API (its issuer)",
    tokenVariable: "WARDEN_ADMIN_TOKEN",
    tokenMeaning: "bearer token of a revoker receiver with scope warden.admin",
  });
}

/** The revoker's answer; a non-2xx status becomes an ApiAnswerError naming the status and its message. */
export function callRevoker(
  connection: ApiConnection,
  method: ApiRequest["method"],
  path: string,
  body?: unknown,
): Promise<unknown> {
  return apiRequest(connection, {
    service: "revoker",
    method,
    path,
    body,
    unreachableHint: "is it running, and is WARDEN_REVOKER_URL right?",
  });
}
