import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { WardenError } from "@warden/shared";
import {
  checkAddress,
  checkReceiverUrl,
  type UrlPolicy,
} from "../core/url-guard.js";

/** `err` codes of RFC 8935 §2.3 (and SSF's `invalid_state`) that no retry can fix. */
export const PERMANENT_PUSH_ERRORS = [
  "invalid_request",
  "invalid_key",
  "invalid_issuer",
  "invalid_audience",
  "authentication_failed",
  "access_denied",
  "invalid_state",
] as const;

/** A push the receiver refused or that did not arrive; `retriable` says whether to try again. */
export class PushError extends WardenError {
  readonly status: number | undefined;
  readonly err: string | undefined;

  constructor(
    message: string,
    options: {
      status?: number;
      err?: string;
      retriable: boolean;
      cause?: unknown;
    },
  ) {
    super(message, { retriable: options.retriable, cause: options.cause });
    this.status = options.status;
    this.err = options.err;
  }

  /** What the receiver answered, for audit: `400 invalid_key`, `503`, `network`. */
  get outcome(): string {
    if (this.status === undefined) return "network error";
    return this.err ? `${this.status} ${this.err}` : String(this.status);
  }
}

export interface PushTarget {
  readonly url: string;
  /** Sent as the Authorization header; never logged. */
  readonly authorization: string | undefined;
}

export interface PushPolicy {
  readonly urlPolicy: UrlPolicy;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

/** Keep-alive connections for one receiver; every new connection still goes through the guard. */
export interface PushAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

export function createPushAgents(maxSockets: number): PushAgents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
}

/** Resolves like dns.lookup, then refuses the connection if any address is not allowed. */
function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(
      hostname,
      { ...options, all: true },
      (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, "", 0);
        const refused = addresses
          .map((entry) => checkAddress(entry.address, policy))
          .find((check) => !check.ok);
        if (refused && !refused.ok)
          return callback(
            Object.assign(new Error(`${hostname}: ${refused.reason}`), {
              code: "EREFUSED",
            }),
            "",
            0,
          );
        const first = addresses[0];
        if (!first)
          return callback(new Error(`${hostname} has no address`), "", 0);
        if (options.all)
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(
            null,
            addresses,
          );
        return callback(null, first.address, first.family);
      },
    );
  };
}

/**
 * Delivers one SET by RFC 8935 push with the SSRF guard: the URL and every address its host
 * resolves to are checked, redirects are not followed, the answer is read up to
 * `maxResponseBytes`, and the whole exchange is bounded by `timeoutMs`. Resolves on 202.
 */
export function pushSet(
  target: PushTarget,
  jwt: string,
  policy: PushPolicy,
  agents?: PushAgents,
): Promise<void> {
  const check = checkReceiverUrl(target.url, policy.urlPolicy);
  if (!check.ok)
    return Promise.reject(
      new PushError(`receiver URL refused: ${check.reason}`, {
        retriable: false,
      }),
    );
  const url = new URL(target.url);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<void>((resolve, reject) => {
    const request = send(
      url,
      {
        method: "POST",
        lookup: guardedLookup(policy.urlPolicy),
        ...(agents
          ? { agent: url.protocol === "https:" ? agents.https : agents.http }
          : {}),
        headers: {
          "content-type": "application/secevent+jwt",
          accept: "application/json",
          "content-length": Buffer.byteLength(jwt),
          ...(target.authorization
            ? { authorization: target.authorization }
            : {}),
        },
        timeout: policy.timeoutMs,
        signal: AbortSignal.timeout(policy.timeoutMs),
      },
      (response) => {
        readLimited(response, policy.maxResponseBytes)
          .then((text) => {
            const outcome = classify(response.statusCode ?? 0, text);
            if (outcome) reject(outcome);
            else resolve();
          })
          .catch((cause: unknown) =>
            reject(
              new PushError(`reading the answer of ${url.origin} failed`, {
                retriable: true,
                cause,
              }),
            ),
          );
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`no answer within ${policy.timeoutMs} ms`)),
    );
    request.on("error", (cause) => {
      const refused = (cause as { code?: string }).code === "EREFUSED";
      reject(
        new PushError(`push to ${url.origin} failed`, {
          retriable: !refused,
          cause,
        }),
      );
    });
    request.end(jwt);
  });
}

function readLimited(
  response: IncomingMessage,
  maxBytes: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Enough to classify the answer; the rest is not worth reading from a hostile peer.
        response.destroy();
        resolve(Buffer.concat(chunks).toString("utf8"));
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
  });
}

/** The error for an answer, or undefined for 202 (RFC 8935 §2.2, §2.3). */
export function classify(status: number, body: string): PushError | undefined {
  if (status === 202) return undefined;
  if (status >= 300 && status < 400)
    return new PushError(
      `receiver redirected (${status}); redirects are not followed`,
      {
        status,
        retriable: false,
      },
    );
  if (status === 400) {
    const err = readErr(body);
    return new PushError(`receiver refused the SET${err ? `: ${err}` : ""}`, {
      status,
      ...(err ? { err } : {}),
      retriable: false,
    });
  }
  const retriable = status >= 500 || status === 429 || status === 408;
  return new PushError(`receiver answered ${status}`, { status, retriable });
}

function readErr(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown };
    return typeof body.err === "string" ? body.err : undefined;
  } catch {
    return undefined;
  }
}
