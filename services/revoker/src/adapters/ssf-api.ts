import type { FastifyInstance } from "fastify";
import { describeError } from "@warden/shared";
import {
  metadataPath,
  SsfPath,
  transmitterMetadata,
} from "../core/metadata.js";
import { adminRoutes } from "./ssf-api/admin.js";
import { adminStreamRoutes } from "./ssf-api/admin-streams.js";
import { adminDeadDecisionRoutes } from "./ssf-api/admin-dead-decisions.js";
import {
  createSsfApiContext,
  sendError,
  type SsfApiOptions,
} from "./ssf-api/context.js";
import { pollRoutes } from "./ssf-api/poll.js";
import { streamControlRoutes } from "./ssf-api/stream-control.js";
import { streamRoutes } from "./ssf-api/streams.js";
import { createApiServer, type ServerTls } from "../tls.js";

export type { SsfApiOptions } from "./ssf-api/context.js";
export const API_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The SSF 1.0 transmitter API: metadata and JWKS (public), stream management, status,
 * subjects and verification (bearer token of a configured receiver, which sees only its own
 * streams), RFC 8936 polling, and Warden's manual revoke / reinstate, approvals and keys
 * (scope warden.admin). Each group of routes is a fastify plugin over one shared context,
 * so another host (the all-in-one) registers the same routes on its own server.
 */
export function registerSsfApi(
  app: FastifyInstance,
  options: SsfApiOptions,
): void {
  const api = createSsfApiContext(options);
  app.get(metadataPath(options.issuer), () =>
    transmitterMetadata(options.issuer, options.defaultSubjects),
  );
  app.get(SsfPath.jwks, (_request, reply) =>
    reply
      .header("cache-control", "max-age=300")
      .send(options.keys.publicJwks()),
  );
  app.register(streamRoutes, api);
  app.register(streamControlRoutes, api);
  app.register(pollRoutes, api);
  app.register(adminRoutes, api);
  app.register(adminStreamRoutes, api);
  if (options.deadDecisions)
    app.register(adminDeadDecisionRoutes(options.deadDecisions), api);
}

/** The revoker's own server: the SSF API with its body limit and error shape. */
export function buildSsfApi(
  options: SsfApiOptions,
  tls?: ServerTls,
): FastifyInstance {
  const log = options.logger.child({ component: "ssf-api" });
  const app = createApiServer({ bodyLimit: API_BODY_LIMIT_BYTES }, tls);
  app.setErrorHandler((failure, _request, reply) => {
    const status = (failure as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return sendError(
        reply,
        status,
        "invalid_request",
        (failure as Error).message,
      );
    log.error({ error: describeError(failure) }, "SSF API request failed");
    return sendError(reply, 500, "server_error", "internal error");
  });
  registerSsfApi(app, options);
  return app;
}
