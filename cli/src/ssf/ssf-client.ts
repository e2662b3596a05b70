import {
  apiRequest,
  readApiConnection,
  type ApiConnection,
  type ApiRequest,
} from "../api-client.js";
import type { StreamConfiguration, StreamStatusAnswer } from "./format.js";
import type { StreamStatus } from "./options.js";

export const DEFAULT_REVOKER_URL = "http://127.0.0.1:8088";

/**
 * WARDEN_REVOKER_URL and the bearer token in `tokenVariable`; a missing or malformed
 * variable is a usage error (exit code 2) naming the variable, never showing the token.
 */
export function readRevokerConnection(
  env: Record<string, string | undefined>,
  tokenVariable: "WARDEN_SSF_TOKEN" | "WARDEN_ADMIN_TOKEN",
  tokenMeaning: string,
): ApiConnection {
  return readApiConnection(env, {
    urlVariable: "WARDEN_REVOKER_URL",
    defaultUrl: DEFAULT_REVOKER_URL,
    urlMeaning: "the revoker's SSF / admin API (its issuer)",
    tokenVariable,
    tokenMeaning,
  });
}

/** WARDEN_REVOKER_URL and WARDEN_ADMIN_TOKEN (a revoker receiver token with scope warden.admin). */
export function readRevokerAdminConnection(
  env: Record<string, string | undefined>,
): ApiConnection {
  return readRevokerConnection(
    env,
    "WARDEN_ADMIN_TOKEN",
    "bearer token of a revoker receiver with scope warden.admin",
  );
}

/** One JSON request to the revoker (a path, or an absolute URL on its origin). */
export function revokerRequest(
  connection: ApiConnection,
  method: ApiRequest["method"],
  path: string,
  options: Pick<ApiRequest, "body" | "query"> = {},
): Promise<unknown> {
  return apiRequest(connection, {
    service: "revoker",
    method,
    path,
    ...options,
    unreachableHint: "is it running, and is WARDEN_REVOKER_URL right?",
  });
}

/** Where SSF 1.0 §7.2 puts the metadata of an issuer: the well-known path before the issuer's path. */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/u, "");
  return `${url.origin}/.well-known/ssf-configuration${path}`;
}

/** The endpoints of SSF 1.0 §7.1 this client uses. */
export interface TransmitterMetadata {
  readonly issuer: string;
  readonly configuration_endpoint: string;
  readonly status_endpoint: string;
  readonly verification_endpoint: string;
  readonly add_subject_endpoint: string;
  readonly remove_subject_endpoint: string;
}

const ENDPOINTS = [
  "configuration_endpoint",
  "status_endpoint",
  "verification_endpoint",
  "add_subject_endpoint",
  "remove_subject_endpoint",
] as const;

/**
 * Checks the metadata: every endpoint must be on the revoker's own origin, so a tampered
 * document cannot send the token elsewhere.
 */
export function checkMetadata(
  base: string,
  metadata: unknown,
): TransmitterMetadata {
  const origin = new URL(base).origin;
  const fields = (
    typeof metadata === "object" && metadata !== null ? metadata : {}
  ) as Record<string, unknown>;
  if (typeof fields["issuer"] !== "string")
    throw new Error(`${metadataUrl(base)} has no issuer`);
  for (const name of ENDPOINTS) {
    const value = fields[name];
    if (typeof value !== "string" || !URL.canParse(value))
      throw new Error(
        `${origin} offers no SSF stream management (its metadata has no ${name}); the all-in-one's receivers are fixed by configuration, streams are managed at the revoker service`,
      );
    if (new URL(value).origin !== origin)
      throw new Error(
        `the transmitter metadata's ${name} is not on ${origin}: set WARDEN_REVOKER_URL to the revoker's issuer`,
      );
  }
  return fields as unknown as TransmitterMetadata;
}

/** SSF 1.0 stream management (§8.1) as a receiver: discovery first, then the endpoints it names. */
export async function openSsfClient(connection: ApiConnection) {
  const metadata = checkMetadata(
    connection.url,
    await revokerRequest(connection, "GET", metadataUrl(connection.url)),
  );
  // SSF 1.0 §8.1.1.1: a receiver must check that a stream's iss is the transmitter's issuer.
  const checked = (config: unknown): StreamConfiguration => {
    const stream = config as StreamConfiguration;
    if (stream.iss !== metadata.issuer)
      throw new Error(
        `stream ${stream.stream_id} has iss ${stream.iss ?? "(none)"}, not the transmitter's issuer ${metadata.issuer}`,
      );
    return stream;
  };
  const call = (
    method: ApiRequest["method"],
    url: string,
    options: Pick<ApiRequest, "body" | "query"> = {},
  ) => revokerRequest(connection, method, url, options);
  const byId = (streamId: string) => ({ query: { stream_id: streamId } });
  return {
    metadata,
    async list(): Promise<StreamConfiguration[]> {
      const answer = await call("GET", metadata.configuration_endpoint);
      return (Array.isArray(answer) ? answer : [answer]).map(checked);
    },
    async get(streamId: string): Promise<StreamConfiguration> {
      return checked(
        await call("GET", metadata.configuration_endpoint, byId(streamId)),
      );
    },
    async create(body: Record<string, unknown>): Promise<StreamConfiguration> {
      return checked(
        await call("POST", metadata.configuration_endpoint, { body }),
      );
    },
    async replace(body: Record<string, unknown>): Promise<StreamConfiguration> {
      return checked(
        await call("PUT", metadata.configuration_endpoint, { body }),
      );
    },
    async update(body: Record<string, unknown>): Promise<StreamConfiguration> {
      return checked(
        await call("PATCH", metadata.configuration_endpoint, { body }),
      );
    },
    async remove(streamId: string): Promise<void> {
      await call("DELETE", metadata.configuration_endpoint, byId(streamId));
    },
    async status(streamId: string): Promise<StreamStatusAnswer> {
      return (await call(
        "GET",
        metadata.status_endpoint,
        byId(streamId),
      )) as StreamStatusAnswer;
    },
    async setStatus(
      streamId: string,
      status: StreamStatus,
      reason: string | undefined,
    ): Promise<StreamStatusAnswer> {
      return (await call("POST", metadata.status_endpoint, {
        body: {
          stream_id: streamId,
          status,
          ...(reason === undefined ? {} : { reason }),
        },
      })) as StreamStatusAnswer;
    },
    async subject(
      change: "add" | "remove",
      streamId: string,
      subject: Record<string, unknown>,
    ): Promise<void> {
      await call(
        "POST",
        change === "add"
          ? metadata.add_subject_endpoint
          : metadata.remove_subject_endpoint,
        { body: { stream_id: streamId, subject } },
      );
    },
    async verify(streamId: string, state: string | undefined): Promise<void> {
      await call("POST", metadata.verification_endpoint, {
        body: {
          stream_id: streamId,
          ...(state === undefined ? {} : { state }),
        },
      });
    },
  };
}
export type SsfClient = Awaited<ReturnType<typeof openSsfClient>>;
