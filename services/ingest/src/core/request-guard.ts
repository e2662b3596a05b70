/**
 * Checks on an HTTP ingest request before any body is read (issue 16). Ingest has no browser
 * client, so any `Origin` header means a web page is posting (a cross-site "runaway" forged
 * from a browser tab) and is refused. Without gateway tokens ingest serves loopback only,
 * and then the `Host` must name loopback too: a DNS-rebinding page reaches 127.0.0.1 under
 * its own host name, which this refuses.
 */
export interface HttpRefusal {
  readonly status: 401 | 403 | 421 | 503;
  readonly reason: Extract<
    HttpRefusalReason,
    "unauthorized" | "origin" | "host" | "in_flight_bytes" | "backlog"
  >;
  readonly message: string;
}

const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?$/iu;

export function refusal(request: {
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly authenticated: boolean;
}): HttpRefusal | undefined {
  if (request.origin !== undefined)
    return {
      status: 403,
      reason: "origin",
      message:
        "ingest takes no requests from web pages (Origin header present)",
    };
  if (!request.authenticated && !LOOPBACK_HOST.test(request.host ?? ""))
    return {
      status: 421,
      reason: "host",
      message: "unauthenticated ingest answers only to a loopback Host",
    };
  return undefined;
}

/** Every reason HTTP ingest refuses a request for, as metric label values. */
export const HTTP_REFUSAL_REASONS = [
  "unauthorized",
  "origin",
  "host",
  "in_flight_bytes",
  "rate_limited",
  "too_many_lines",
  "too_large",
  "bad_gzip",
  "backlog",
] as const;
export type HttpRefusalReason = (typeof HTTP_REFUSAL_REASONS)[number];
