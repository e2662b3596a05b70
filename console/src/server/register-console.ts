import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { crossSiteRefusal, securityHeaders } from "./security.js";

export const CONSOLE_PATH = "/console/";
const ASSETS_PATH = `${CONSOLE_PATH}assets/`;

export interface ConsoleOptions {
  /**
   * Base URL of the baseline query API as the analyst's browser reaches it (its origin is the
   * only one besides the host's the page may connect to); empty: the host serves it too.
   */
  readonly queryApiUrl?: string;
  /** The built bundle; default: this package's `dist/app` (`npm run build`). */
  readonly root?: string;
}

/** What the page reads at start: where the APIs are. Never a token. */
export interface ConsoleSettings {
  readonly queryApiUrl: string;
}

const DEFAULT_ROOT = fileURLToPath(new URL("../app/", import.meta.url));

/**
 * Serves the SOC console at /console/ from any fastify host (the revoker, the all-in-one), and
 * guards every state-changing route of that host against cross-site requests. The page itself
 * calls only the host's documented admin API and the baseline query API; it holds the
 * analyst's tokens in session storage and sends them as bearer headers, never as cookies.
 * Call it on the root instance before `listen`.
 */
export async function registerConsole(
  app: FastifyInstance,
  options: ConsoleOptions = {},
): Promise<void> {
  const root = options.root ?? DEFAULT_ROOT;
  if (!existsSync(`${root}/index.html`))
    throw new Error(
      `the console's bundle is missing from ${root} (npm run build builds it)`,
    );
  const queryApiUrl = (options.queryApiUrl ?? "").replace(/\/+$/u, "");
  const connect = queryApiUrl ? [new URL(queryApiUrl).origin] : [];
  const headers = securityHeaders(connect);

  app.addHook("onRequest", async (request, reply) => {
    const refused = crossSiteRefusal({
      method: request.method,
      host: request.headers.host,
      origin: request.headers.origin,
      secFetchSite: header(request.headers["sec-fetch-site"]),
    });
    if (refused)
      return reply
        .code(403)
        .send({ err: "cross_site_request", description: refused });
  });

  app.get("/console", (_request, reply) => reply.redirect(CONSOLE_PATH, 308));
  await app.register(async (scope) => {
    scope.addHook("onSend", async (request, reply, payload) => {
      reply.headers(headers);
      // Hashed file names change with their content; the page and its settings must not stick.
      reply.header(
        "cache-control",
        reply.statusCode === 200 && request.url.startsWith(ASSETS_PATH)
          ? "public, max-age=31536000, immutable"
          : "no-store",
      );
      return payload;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: CONSOLE_PATH,
      wildcard: false,
      index: ["index.html"],
    });
    const settings: ConsoleSettings = { queryApiUrl };
    scope.get(`${CONSOLE_PATH}settings.json`, () => settings);
    // The page routes in the browser: a deep link (/console/agents/…) gets the page, while a
    // missing bundle file keeps its 404.
    scope.get(`${CONSOLE_PATH}*`, (request, reply) =>
      request.url.startsWith(ASSETS_PATH)
        ? reply
            .code(404)
            .send({ err: "not_found", description: "no such file" })
        : reply.sendFile("index.html"),
    );
  });
}

const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;
