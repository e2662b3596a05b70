/**
 * The console's security headers and the cross-site request guard, pure (issue 19).
 *
 * Every page is our own static bundle: scripts, styles and fonts come from our origin only, the
 * only connections are to our origin and the query API, nothing may frame the console, and the
 * DOM's HTML sinks accept no strings (Trusted Types with no policy), so even a bug that handed an
 * attacker-controlled agent id to innerHTML would throw instead of running it.
 */
export function contentSecurityPolicy(
  connectOrigins: readonly string[],
): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connectOrigins].join(" ")}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

export function securityHeaders(
  connectOrigins: readonly string[],
): Readonly<Record<string, string>> {
  return {
    "content-security-policy": contentSecurityPolicy(connectOrigins),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy":
      "camera=(), microphone=(), geolocation=(), payment=()",
  };
}

const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Fetch Metadata resource isolation for every state-changing call of the host (CSRF): a
 * browser names the site a request comes from, so a POST another site's page makes is refused
 * even if it could carry credentials. Calls from programs (the CLI, SSF receivers) send no such
 * headers and pass; a browser request must come from the host's own origin. Returns why it is
 * refused, or undefined.
 */
export function crossSiteRefusal(request: {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
}): string | undefined {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
  const site = request.secFetchSite;
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `a ${site} request may not change state`;
  if (request.origin === undefined) return undefined;
  let originHost: string | undefined;
  try {
    originHost = new URL(request.origin).host;
  } catch {
    originHost = undefined;
  }
  return originHost !== undefined && originHost === request.host
    ? undefined
    : "the Origin of a state-changing request must be this host";
}
