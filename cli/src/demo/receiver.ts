import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import {
  verifySet,
  type SetExpectations,
  type SetVerification,
} from "./verify-set.js";

/**
 * The demo's SSF push receiver (RFC 8935) on loopback: verifies every SET against the
 * transmitter's JWKS, answers 202 or 400 with an `err` code, and reports each one. It stands
 * for an identity provider or app that would end the agent's sessions.
 */
export interface DemoReceiver {
  /** Where to push: `http://127.0.0.1:<port>/events`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ReceivedSet {
  readonly verification: SetVerification;
  readonly receivedAtMs: number;
}

/** A SET is a few KiB; anything much bigger is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export async function startDemoReceiver(options: {
  readonly jwksUrl: string;
  readonly expected: SetExpectations;
  readonly onSet: (received: ReceivedSet) => void;
  readonly now?: () => number;
}): Promise<DemoReceiver> {
  const now = options.now ?? Date.now;
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl));
  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // The JWKS could not be fetched or the request broke: a transmitter retries a 503.
      if (!response.headersSent)
        answer(response, 503, {
          err: "temporarily_unavailable",
          description: "cannot verify SETs right now",
        });
    });
  });

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (request.method !== "POST" || request.url !== "/events") {
      answer(response, 404, {
        err: "invalid_request",
        description: "POST /events",
      });
      return;
    }
    const type = request.headers["content-type"] ?? "";
    if (!type.startsWith("application/secevent+jwt")) {
      answer(response, 400, {
        err: "invalid_request",
        description: "expected application/secevent+jwt",
      });
      return;
    }
    const token = await readBody(request);
    if (token === undefined) {
      answer(response, 400, {
        err: "invalid_request",
        description: "body too large",
      });
      return;
    }
    const receivedAtMs = now();
    const verification = await verifySet(token.trim(), keys, options.expected);
    options.onSet({ verification, receivedAtMs });
    if (verification.ok) answer(response, 202, undefined);
    else
      answer(response, 400, {
        err: verification.err,
        description: verification.description,
      });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from the transmitter would otherwise hold the server open.
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function answer(
  response: ServerResponse,
  status: number,
  body: { err: string; description: string } | undefined,
): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify(body));
}
